package io.hexgate.datapath.bpf;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.withinPercentage;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** The kernel's jiffies and HZ as the agent reads them (root only). */
class JiffiesClockTest extends WithLoadedBpfObject {
  private static final Pattern TIMER_LIST_JIFFIES = Pattern.compile("(?m)^jiffies: (\\d+)$");

  /** The kernel's own account of jiffies (root only): /proc/timer_list, as Cilium reads it. */
  private static long timerListJiffies() throws IOException {
    Matcher m = TIMER_LIST_JIFFIES.matcher(Files.readString(Path.of("/proc/timer_list")));
    assertThat(m.find()).as("a jiffies: line in /proc/timer_list").isTrue();
    return Long.parseLong(m.group(1));
  }

  @Test
  void nowIsTheKernelsJiffies() throws IOException {
    JiffiesClock clock = new JiffiesClock(obj);
    long before = timerListJiffies();
    long now = clock.now();
    long after = timerListJiffies();
    assertThat(now).isBetween(before, after);
    // 64 bits: past 2^32 five minutes after boot (INITIAL_JIFFIES), read whole from cb[0] and cb[1]
    assertThat(now).isGreaterThan(0xffff_ffffL - 300L * clock.hz());
  }

  @Test
  void hzFromTheCoarseClocksResolutionIsTheRateJiffiesAdvanceAt() {
    JiffiesClock clock = new JiffiesClock(obj);
    assertThat(clock.hz()).isEqualTo(JiffiesClock.hzOfTick(JiffiesClock.coarseResolutionNanos()))
        .isIn(100, 250, 300, 1000);
    // measured between two tick edges 500 ms apart: the rate is HZ within how late a tick may come (a few
    // ms in a VM under load), nearest of all to this HZ
    int measured = clock.measureHz(500_000_000L);
    assertThat(measured).isCloseTo(clock.hz(), withinPercentage(4));
    assertThat(JiffiesClock.nearestLinuxHz(measured)).isEqualTo(clock.hz());
  }

  @Test
  void hzIsTheKernelsConfigHzWhereTheKernelTellsIt() throws IOException, InterruptedException {
    Path config = Path.of("/proc/config.gz");
    if (!Files.isReadable(config)) {
      return; // the kernel keeps its configuration to itself: the test above is the check
    }
    Process p = new ProcessBuilder("sh", "-c", "zcat /proc/config.gz | grep '^CONFIG_HZ='").start();
    String line = new String(p.getInputStream().readAllBytes()).trim();
    p.waitFor();
    if (line.isEmpty()) {
      return;
    }
    assertThat(new JiffiesClock(obj).hz()).isEqualTo(Integer.parseInt(line.substring("CONFIG_HZ=".length())));
  }

  @Test
  void ticksOfLinuxsHzValues() {
    assertThat(JiffiesClock.hzOfTick(10_000_000)).isEqualTo(100);
    assertThat(JiffiesClock.hzOfTick(4_000_000)).isEqualTo(250);
    assertThat(JiffiesClock.hzOfTick(3_333_333)).isEqualTo(300); // TICK_NSEC = (10^9 + HZ / 2) / HZ
    assertThat(JiffiesClock.hzOfTick(1_000_000)).isEqualTo(1000);
    assertThat(JiffiesClock.hzOfTick(1)).as("a high-resolution clock's 1 ns: no tick").isZero();
    assertThat(JiffiesClock.hzOfTick(0)).isZero();
    assertThat(JiffiesClock.nearestLinuxHz(243)).isEqualTo(250);
    assertThat(JiffiesClock.nearestLinuxHz(290)).isEqualTo(300);
    assertThat(JiffiesClock.nearestLinuxHz(980)).isEqualTo(1000);
    assertThat(JiffiesClock.nearestLinuxHz(48)).as("no choice near: as measured").isEqualTo(48);
  }
}
