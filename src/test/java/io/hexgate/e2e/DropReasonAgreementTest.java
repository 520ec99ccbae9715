package io.hexgate.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import io.hexgate.datapath.abi.DropReasons;
import io.hexgate.operator.policy.DropReason;
import java.util.Arrays;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * The operator's policy drop reasons are the datapath's, number and text: flows and policy traces name a
 * drop the same way whichever side judged it. Here because only this module sees both (the datapath never
 * imports the operator); the datapath's reasons are held to lib/abi.h by its AbiConstantsTest.
 */
class DropReasonAgreementTest {
  @Test
  void shouldGiveEveryOperatorReasonTheDatapathsNumberAndText() {
    Map<Integer, String> operator =
        Arrays.stream(DropReason.values()).collect(Collectors.toMap(DropReason::code, DropReason::text));

    assertThat(DropReasons.all()).containsAllEntriesOf(operator);
  }

  @Test
  void shouldKnowInTheOperatorEveryReasonThePolicyMapsProduce() {
    assertThat(Arrays.stream(DropReason.values()).map(DropReason::code))
        .containsExactlyInAnyOrder(DropReasons.DROP_POLICY, DropReasons.DROP_POLICY_DENY);
  }
}
