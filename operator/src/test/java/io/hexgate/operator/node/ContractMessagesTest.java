package io.hexgate.operator.node;

import static org.assertj.core.api.Assertions.assertThat;

import io.hexgate.contract.v1.HeaderMatch;
import io.hexgate.contract.v1.MismatchAction;
import io.hexgate.operator.policy.HttpMatch;
import io.hexgate.operator.policy.api.HttpRule;
import java.util.List;
import org.junit.jupiter.api.Test;

class ContractMessagesTest {
  private static io.hexgate.operator.policy.api.HeaderMatch header(String name, String value, String mismatch) {
    io.hexgate.operator.policy.api.HeaderMatch h = new io.hexgate.operator.policy.api.HeaderMatch();
    h.name = name;
    h.value = value;
    h.mismatch = mismatch;
    return h;
  }

  @Test
  void headerMatchesReachTheAgentWithTheirMismatchAction() {
    HttpRule r = new HttpRule("GET", "/v1/.*");
    r.headerMatches = List.of(header("X-Env", "prod", "REPLACE"), header("X-Id", null, "LOG"),
        header("X-Must", "yes", null), header("X-Add", "1", "ADD"), header("X-Del", "0", "DELETE"));

    io.hexgate.contract.v1.HttpMatch m = ContractMessages.http(HttpMatch.of(r));

    assertThat(m.getMethod()).isEqualTo("GET");
    assertThat(m.getHeaderMatchesList()).containsExactly(
        HeaderMatch.newBuilder().setName("X-Env").setValue("prod")
            .setMismatch(MismatchAction.MISMATCH_ACTION_REPLACE).build(),
        HeaderMatch.newBuilder().setName("X-Id").setMismatch(MismatchAction.MISMATCH_ACTION_LOG).build(),
        HeaderMatch.newBuilder().setName("X-Must").setValue("yes").build(),
        HeaderMatch.newBuilder().setName("X-Add").setValue("1").setMismatch(MismatchAction.MISMATCH_ACTION_ADD)
            .build(),
        HeaderMatch.newBuilder().setName("X-Del").setValue("0")
            .setMismatch(MismatchAction.MISMATCH_ACTION_DELETE).build());
  }
}
