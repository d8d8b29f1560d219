package io.quotahub.hub.service;

import io.quotahub.proto.Subjects;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class PrincipalsTest {

    private static final List<String> REPLIES = List.of("_QH.agent.alice.Xy7.1", "_QH.agent.alice.", "_QH.agent.bob.inbox",
            "_QH.agent.alice", "_QH.agent..x", "_QH.agent.", "_QH.agentalice.x", "_INBOX.abc.1", "_QH.hub.main.x",
            "_qh.agent.alice.x", "", "x._QH.agent.alice.y", "_QH.agent.a-b_c.z");

    @Test
    void agentUserOfReply_isTheTokenAfterTheAgentInboxRootAndNullOutsideIt() {
        assertThat(Subjects.agentUserOfReply("_QH.agent.alice.Xy7.1")).isEqualTo("alice");
        assertThat(Subjects.agentUserOfReply("_QH.agent.alice.")).isEqualTo("alice");
        assertThat(Subjects.agentUserOfReply(Subjects.agentInboxPrefix("bob") + ".r")).isEqualTo("bob");
        assertThat(Subjects.agentUserOfReply("_QH.agent.alice")).as("no subject below the prefix").isNull();
        assertThat(Subjects.agentUserOfReply("_QH.agent..x")).as("empty user").isNull();
        assertThat(Subjects.agentUserOfReply("_QH.agent.")).isNull();
        assertThat(Subjects.agentUserOfReply("_QH.agentalice.x")).isNull();
        assertThat(Subjects.agentUserOfReply("_INBOX.abc.1")).isNull();
        assertThat(Subjects.agentUserOfReply("_QH.hub.main.x")).as("a hub's inbox is no agent's").isNull();
        assertThat(Subjects.agentUserOfReply("x._QH.agent.alice.y")).isNull();
        assertThat(Subjects.agentUserOfReply("")).isNull();
        assertThat(Subjects.agentUserOfReply(null)).isNull();
    }

    @Test
    void ofReply_isNatsAndTheAgentUserOfTheReplyOrEmpty_asSubjectsReadsIt() {
        for (int round = 0; round < 2; round++) { // the second round is answered from the cache
            for (String reply : REPLIES) {
                String user = Subjects.agentUserOfReply(reply);
                assertThat(Principals.ofReply(reply)).as(reply).isEqualTo(user == null ? "" : "nats:" + user);
            }
        }
        assertThat(Principals.ofReply(null)).isEmpty();
    }

    @Test
    void ofReply_aSeenUserCostsNoNewString() {
        String first = Principals.ofReply("_QH.agent.carol.aaa.1");
        assertThat(Principals.ofReply("_QH.agent.carol.bbb.2")).isSameAs(first);
        assertThat(Principals.ofReply("_QH.agent.carolx.bbb.2")).as("a longer name is another user").isEqualTo("nats:carolx");
        assertThat(Principals.ofReply("_QH.agent.caro.bbb.2")).isEqualTo("nats:caro");
    }

    @Test
    void onlyNatsAndTokenPrincipalsBindTheirLeases() {
        assertThat(Principals.binds("nats:alice")).isTrue();
        assertThat(Principals.binds(Principals.token("agents"))).isTrue();
        assertThat(Principals.binds(Principals.LOCAL)).isFalse();
        assertThat(Principals.binds("")).isFalse();
        assertThat(Principals.binds(null)).isFalse();
        assertThat(Principals.shown("", "a1")).isEqualTo("unverified agent id 'a1'");
        assertThat(Principals.shown("nats:alice", "a1")).isEqualTo("nats:alice");
    }
}
