package io.hexgate.datapath.maps;

import static org.assertj.core.api.Assertions.assertThat;

import io.hexgate.datapath.abi.Config;
import io.hexgate.datapath.abi.CtLifetimes;
import io.hexgate.datapath.bpf.MapDefinition;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Nanoseconds left become jiffies left, rounded down; which pins it applies to. */
class JiffiesUpgradeTest {
  private static final long J = 4_294_967_296L + 123_456;
  private static final long NOW = 7_000_000_000_000L;

  @Test
  void nanosecondsLeftBecomeJiffiesLeftRoundedDown() {
    assertThat(JiffiesUpgrade.jiffiesOf(NOW + 100_000_000_000L, NOW, J, 250)).isEqualTo(J + 25_000);
    assertThat(JiffiesUpgrade.jiffiesOf(NOW + 3_999_999, NOW, J, 250)).as("under a tick").isEqualTo(J);
    assertThat(JiffiesUpgrade.jiffiesOf(NOW + 4_000_000, NOW, J, 250)).isEqualTo(J + 1);
    assertThat(JiffiesUpgrade.jiffiesOf(NOW + 1_500_000_000L, NOW, J, 1000)).isEqualTo(J + 1500);
    // 8000 s at HZ 300, and 2^31 s at HZ 1000 without overflow
    assertThat(JiffiesUpgrade.jiffiesOf(NOW + 8000_000_000_000L, NOW, J, 300)).isEqualTo(J + 2_400_000);
    assertThat(JiffiesUpgrade.jiffiesOf(NOW + (1L << 31) * 1_000_000_000L, NOW, J, 1000))
        .isEqualTo(J + (1L << 31) * 1000);
  }

  @Test
  void anExpiredEntryStaysExpired() {
    for (long left : new long[] {0, -1, -999_999_999, -5_000_000_000L, -NOW}) {
      assertThat(JiffiesUpgrade.jiffiesOf(NOW + left, NOW, J, 250)).as("%d ns left", left).isLessThanOrEqualTo(J);
    }
  }

  @Test
  void appliesToPinsWhoseConfigHasNoHz() {
    MapDefinition before = new MapDefinition(2, 4, 32, 1, 0, 0);
    MapDefinition older = new MapDefinition(2, 4, 4, 1, 0, 0);
    MapDefinition now = new MapDefinition(2, 4, Config.CODEC.size(), 1, 0, 0);
    assertThat(JiffiesUpgrade.CONNTRACK.applies(Map.of("hg_config", before))).isTrue();
    assertThat(JiffiesUpgrade.CONNTRACK.applies(Map.of("hg_config", older))).isTrue();
    assertThat(JiffiesUpgrade.CONNTRACK.applies(Map.of("hg_config", now))).isFalse();
    assertThat(JiffiesUpgrade.CONNTRACK.applies(Map.of())).as("nothing pinned").isFalse();
    // the config's fields are carried only from the layout whose fields this build knows
    assertThat(JiffiesUpgrade.CONFIG.applies(Map.of("hg_config", before))).isTrue();
    assertThat(JiffiesUpgrade.CONFIG.applies(Map.of("hg_config", older))).isFalse();
    assertThat(JiffiesUpgrade.CONFIG.applies(Map.of("hg_config", now))).isFalse();
  }

  @Test
  void theConfigsFieldsAreCarriedAndHzAppendedAsZero() {
    Config c = new Config(2, 57, 16384, new CtLifetimes(8000, 60, 1, 60, 60));
    byte[] old = java.util.Arrays.copyOf(Config.CODEC.encode(c), Config.SIZE_BEFORE_JIFFIES);
    byte[] carried = JiffiesUpgrade.CONFIG.start(null).apply(new byte[4], old);
    assertThat(Config.CODEC.decode(carried)).isEqualTo(c.withHz(0));
  }
}
