"""Every recorded provider answer (clients/provider-examples) reads as recorded: no hubs needed."""

import calendar
import json
import os
import time
import unittest

from quotahub import providers

EXAMPLES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "provider-examples")


def _epoch_seconds(rfc3339: str) -> float:
    return calendar.timegm(time.strptime(rfc3339, "%Y-%m-%dT%H:%M:%SZ"))


def _as_expect(reading: providers.ProviderReading) -> dict:
    """The reading in the examples' terms: ms, camelCase, absent fields left out."""
    out = {"outcome": reading.outcome}
    if reading.transient is not None:
        out["transient"] = reading.transient
    if reading.retry_after is not None:
        out["retryAfterMs"] = round(reading.retry_after * 1000)
    if reading.tokens_used is not None:
        out["tokensUsed"] = reading.tokens_used
    if reading.quota_id is not None:
        out["quotaId"] = reading.quota_id
    limits = []
    for limit in reading.limits:
        entry = {"kind": limit.kind}
        if limit.limit is not None:
            entry["limit"] = limit.limit
        if limit.remaining is not None:
            entry["remaining"] = limit.remaining
        if limit.reset_after is not None:
            entry["resetAfterMs"] = round(limit.reset_after * 1000)
        limits.append(entry)
    out["limits"] = limits
    return out


def _texts(value, into):
    """Every word-bearing string of a body (numbers are read, words never copied)."""
    if isinstance(value, str):
        if len(value) > 3 and any(c.isalpha() for c in value):
            into.append(value)
    elif isinstance(value, list):
        for v in value:
            _texts(v, into)
    elif isinstance(value, dict):
        for v in value.values():
            _texts(v, into)
    return into


class ProviderExamplesTest(unittest.TestCase):

    def test_thereAreRecordedAnswersOfEveryProvider(self) -> None:
        names = set()
        for name in os.listdir(EXAMPLES):
            if name.endswith(".json"):
                with open(os.path.join(EXAMPLES, name), encoding="utf-8") as f:
                    names.add(json.load(f)["provider"])
        self.assertEqual({"openai", "anthropic", "gemini", "generic"}, names)

    def test_everyExample_readsAsRecorded(self) -> None:
        files = sorted(f for f in os.listdir(EXAMPLES) if f.endswith(".json"))
        self.assertGreater(len(files), 20)
        for name in files:
            with self.subTest(example=name):
                with open(os.path.join(EXAMPLES, name), encoding="utf-8") as f:
                    example = json.load(f)
                body = example["body"] if isinstance(example["body"], str) else json.dumps(example["body"])
                adapter = providers.BY_NAME[example["provider"]]
                reading = adapter.read(example["status"], example["headers"], body,
                                       received_at=_epoch_seconds(example["receivedAt"]))
                self.assertEqual(example["expect"], _as_expect(reading))
                shown = " ".join([reading.outcome] + [limit.kind for limit in reading.limits])  # every string but the quota id
                for text in _texts(example["body"], []):
                    self.assertNotIn(text, shown, "body text copied into the reading")

    def test_everyExample_readsAlikeFromBytesAndFromATuple(self) -> None:
        with open(os.path.join(EXAMPLES, "gemini-429-requests.json"), encoding="utf-8") as f:
            example = json.load(f)
        body = json.dumps(example["body"]).encode("utf-8")
        at = _epoch_seconds(example["receivedAt"])
        from_bytes = providers.GEMINI.read(example["status"], example["headers"], body, received_at=at)
        from_tuple = providers.GEMINI.read_answer((example["status"], example["headers"], body), received_at=at)
        self.assertEqual(from_bytes, from_tuple)
        self.assertEqual(13.0, from_bytes.retry_after)


if __name__ == "__main__":
    unittest.main()
