"""QuotaHub client: leases on rate-limited API keys from the QuotaHub hubs, over their HTTP API.

Standard library only (Python >= 3.9)::

    from quotahub import QuotaClient

    with QuotaClient(["http://mainpc:9000", "http://pc2:9100"], agent_id="summarizer-7",
                     token_file="/etc/quotahub/agent.token") as qh:
        with qh.acquire("gemini-pro", tokens=1200, max_wait=5.0) as lease:
            resp = call_provider(lease.api_key)
            lease.complete(tokens_used=resp.usage.total_tokens)
"""

from . import providers
from .aio import AsyncLease, AsyncQuotaClient
from .calls import Retries
from .client import Lease, QuotaClient
from .errors import HubUnavailableError, QuotaExhaustedError, QuotaHubError
from .providers import HttpAnswer, ProviderLimit, ProviderReading

__all__ = ["QuotaClient", "AsyncQuotaClient", "Lease", "AsyncLease", "QuotaHubError", "QuotaExhaustedError",
           "HubUnavailableError", "Retries", "providers", "ProviderReading", "ProviderLimit", "HttpAnswer"]
__version__ = "0.1.0"
