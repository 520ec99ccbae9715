package io.hexgate.datapath.bpf;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.hexgate.datapath.abi.Config;
import io.hexgate.datapath.abi.ScalarCodecs;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.OptionalInt;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Pinning maps on bpffs and adopting them, and tc attachment through libbpf (root only). */
class PinAndAttachTest {
  @BeforeAll
  static void needsRoot() throws Exception {
    BpfSupport.loadOrSkip().close();
    if (!Files.readString(Path.of("/proc/mounts")).contains(" /sys/fs/bpf bpf ")) {
      run("mount", "-t", "bpf", "bpf", "/sys/fs/bpf");
    }
  }

  @Test
  void aSecondLoadAdoptsThePinnedMaps() throws Exception {
    Path dir = Path.of("/sys/fs/bpf/hgb-pin-" + ProcessHandle.current().pid());
    try {
      try (BpfObject first = BpfObject.openPackaged().pinMapsUnder(dir).load()) {
        first.map("hg_config").typed(ScalarCodecs.U32, Config.CODEC).put(0, new Config(5));
      }
      assertThat(dir.resolve("hg_policy")).exists();
      assertThat(dir.resolve("hg_events")).exists();
      try (BpfObject second = BpfObject.openPackaged().pinMapsUnder(dir).load()) {
        assertThat(second.map("hg_config").typed(ScalarCodecs.U32, Config.CODEC).get(0)).contains(new Config(5));
      }
    } finally {
      deleteTree(dir);
    }
  }

  @Test
  void attachesQueriesAndDetachesATcProgram() throws Exception {
    String link = "hgb-v" + (ProcessHandle.current().pid() % 100000);
    int rc = new ProcessBuilder("ip", "link", "add", link, "type", "veth", "peer", "name", link + "p")
        .inheritIO().start().waitFor();
    assumeTrue(rc == 0, "skipping: cannot create a veth pair (ip link add " + link + " type veth)");
    try (BpfObject obj = BpfObject.openPackaged().load()) {
      int ifindex = Integer.parseInt(Files.readString(Path.of("/sys/class/net/" + link + "/ifindex")).trim());
      Tc.createClsact(ifindex);
      Tc.createClsact(ifindex); // idempotent
      int id = Tc.attach(ifindex, Tc.Hook.INGRESS, obj.program("from_pod"), 1, 1, false);
      assertThat(Tc.query(ifindex, Tc.Hook.INGRESS, 1, 1)).isEqualTo(OptionalInt.of(id));
      int replaced = Tc.attach(ifindex, Tc.Hook.INGRESS, obj.program("empty"), 1, 1, true);
      assertThat(replaced).isNotEqualTo(id);
      assertThat(Tc.query(ifindex, Tc.Hook.INGRESS, 1, 1)).isEqualTo(OptionalInt.of(replaced));
      assertThat(Tc.query(ifindex, Tc.Hook.EGRESS, 1, 1)).isEmpty();
      assertThat(Tc.detach(ifindex, Tc.Hook.INGRESS, 1, 1)).isTrue();
      assertThat(Tc.detach(ifindex, Tc.Hook.INGRESS, 1, 1)).isFalse();
      Tc.destroyClsact(ifindex);
    } finally {
      run("ip", "link", "del", link);
    }
  }

  private static void run(String... cmd) throws IOException, InterruptedException {
    new ProcessBuilder(List.of(cmd)).inheritIO().start().waitFor();
  }

  private static void deleteTree(Path dir) throws IOException {
    if (Files.exists(dir)) {
      try (Stream<Path> s = Files.walk(dir)) {
        for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
          Files.deleteIfExists(p);
        }
      }
    }
  }
}
