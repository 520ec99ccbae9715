package io.hexgate.datapath.bpf;

import static io.hexgate.datapath.bpf.Packets.ip;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.hexgate.datapath.abi.Directions;
import io.hexgate.datapath.abi.DropReasons;
import io.hexgate.datapath.abi.EndpointKey;
import io.hexgate.datapath.abi.EndpointValue;
import io.hexgate.datapath.abi.PolicyKey;
import io.hexgate.datapath.abi.PolicyValue;
import io.hexgate.datapath.abi.Verdicts;
import org.junit.jupiter.api.Test;

/** Loads the packaged object and runs its programs with BPF_PROG_TEST_RUN (root only). */
class BpfObjectTest extends WithLoadedBpfObject {
  @Test
  void unknownEndpointIsUnroutableAndAllowedPolicyForwards() {
    BpfProgram toPod = obj.program("to_pod");
    int pod = ip(10, 0, 1, 5);
    int peer = ip(10, 0, 2, 9);
    byte[] syn = Packets.tcp(peer, pod, 40000, 80, Packets.TCP_SYN);

    BpfProgram.TestRun r = toPod.testRun(syn);
    assertThat(r.retval()).isEqualTo(2); // TC_ACT_SHOT
    assertThat(r.cb0()).isEqualTo(DropReasons.DROP_UNROUTABLE);

    obj.map("hg_endpoints").typed(EndpointKey.CODEC, EndpointValue.CODEC)
        .put(new EndpointKey(pod), new EndpointValue(7, 1234, 3, 9));
    r = toPod.testRun(syn);
    assertThat(r.cb0()).isEqualTo(DropReasons.DROP_POLICY);

    // allow TCP port 80 from any identity: the identity-0 table's TCP entry and one 16-bit port block
    var policy = obj.map("hg_policy").typed(PolicyKey.CODEC, PolicyValue.CODEC);
    policy.put(PolicyKey.block(7, 0, Directions.DIR_INGRESS, 6, 16, 80), new PolicyValue(Verdicts.VERDICT_ALLOW, 3, 42));
    policy.put(PolicyKey.proto(7, 0, Directions.DIR_INGRESS, 6), new PolicyValue(Verdicts.VERDICT_NONE, 0, 0, 1 << 16));
    r = toPod.testRun(syn);
    assertThat(r.retval()).isEqualTo(0);
    assertThat(r.cb0()).isZero();
    assertThat(r.packet()).isEqualTo(syn);
    assertThat(obj.map("hg_ct").keys()).as("the connection and its reply entry").hasSize(2);
  }

  @Test
  void mapErrorsNameTheMapAndErrno() {
    BpfMap endpoints = obj.map("hg_endpoints");
    byte[] key = EndpointKey.CODEC.encode(new EndpointKey(ip(10, 9, 9, 9)));
    byte[] value = EndpointValue.CODEC.encode(new EndpointValue(1, 1, 0, 9));
    assertThatThrownBy(() -> endpoints.update(key, value, BpfMap.BPF_EXIST))
        .isInstanceOf(BpfException.class)
        .hasMessageContaining("bpf_map_update_elem(hg_endpoints)")
        .hasMessageContaining("errno 2");
    assertThat(endpoints.lookup(key)).isNull();
  }

  @Test
  void batchUpdatesAndDeletesSkipAbsentKeys() {
    var endpoints = obj.map("hg_endpoints").typed(EndpointKey.CODEC, EndpointValue.CODEC);
    assertThat(endpoints.raw().supportsBatch()).isTrue();
    java.util.List<java.util.Map.Entry<EndpointKey, EndpointValue>> entries = new java.util.ArrayList<>();
    for (int i = 0; i < 3_000; i++) {
      entries.add(java.util.Map.entry(new EndpointKey(ip(10, 50, i >> 8, i & 0xff)), new EndpointValue(i + 1, 5, 0, 9)));
    }
    endpoints.putAll(entries);
    assertThat(endpoints.get(new EndpointKey(ip(10, 50, 11, 183)))).contains(new EndpointValue(2999 + 1, 5, 0, 9));
    java.util.List<EndpointKey> gone = new java.util.ArrayList<>(entries.stream().map(java.util.Map.Entry::getKey).toList());
    gone.add(1500, new EndpointKey(ip(10, 99, 0, 1))); // absent
    assertThat(endpoints.deleteAll(gone)).isEqualTo(3_000);
    assertThat(endpoints.raw().keys()).filteredOn(k -> (k[0] & 0xff) == 10 && (k[1] & 0xff) == 50).isEmpty();
  }

  @Test
  void emptyProgramPasses() {
    BpfProgram.TestRun r = obj.program("empty").testRun(Packets.udp(ip(10, 0, 0, 1), ip(10, 0, 0, 2), 1, 2, new byte[4]), 1000);
    assertThat(r.retval()).isZero();
    assertThat(r.durationNanos()).isPositive();
  }
}
