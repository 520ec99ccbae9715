package io.hexgate.datapath.maps;

import io.hexgate.datapath.abi.Config;
import io.hexgate.datapath.abi.CtFlags;
import io.hexgate.datapath.abi.CtKey;
import io.hexgate.datapath.abi.CtValue;
import io.hexgate.datapath.abi.Protocols;
import io.hexgate.datapath.abi.ScalarCodecs;
import io.hexgate.datapath.bpf.BpfObject;
import io.hexgate.datapath.bpf.JiffiesClock;
import io.hexgate.datapath.bpf.TypedMap;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The agent's side of the kernel's connection tracking: hg_config (policy generation, quota, lifetimes,
 * HZ), the garbage collector's pass over hg_ct, and the per-endpoint counters in hg_ct_counts. CT times are
 * the kernel's jiffies ({@link #clock()}). Not thread-safe: the agent calls it from its one map-writing
 * thread.
 */
public final class KernelConntrack {
  private final TypedMap<Integer, Config> config;
  private final TypedMap<CtKey, CtValue> ct;
  private final int ctCapacity;
  private final TypedMap<Integer, Integer> counts;
  private final JiffiesClock clock;

  /** Under pressure, how long (seconds) a connection has been closing before the GC reclaims it. */
  static final int RECLAIM_CLOSING_AFTER_SECONDS = 1;

  public KernelConntrack(BpfObject obj) {
    this.clock = new JiffiesClock(obj);
    this.config = obj.map("hg_config").typed(ScalarCodecs.U32, Config.CODEC);
    this.ct = obj.map("hg_ct").typed(CtKey.CODEC, CtValue.CODEC);
    this.ctCapacity = obj.map("hg_ct").maxEntries();
    this.counts = obj.map("hg_ct_counts").typed(ScalarCodecs.U32, ScalarCodecs.CT_COUNT);
  }

  public Config config() {
    return config.get(0).orElse(new Config(0));
  }

  /** Writes hg_config, with the kernel's HZ in place of {@code c.hz()}. */
  public void configure(Config c) {
    config.put(0, c.withHz(clock.hz()));
  }

  /** The kernel's jiffies and HZ: the clock of CT expiries. */
  public JiffiesClock clock() {
    return clock;
  }

  /**
   * After a revision that changes policy, identities or endpoints: every connection is judged again when
   * it is next used (the program), or by the next {@link #collectGarbage} while idle. Costs one map write.
   */
  public int bumpGeneration() {
    Config c = config();
    int next = c.generation() + 1;
    configure(c.withGeneration(next));
    return next;
  }

  /**
   * One GC pass at the kernel's clock now, judging stale connections under {@code contents}. With the map
   * more than half full, connections that have been closing for a second or more go as well (see
   * {@link ConntrackGc#plan(Map, long, long, int, ConntrackRevalidator)}).
   */
  public ConntrackGc.Pass collectGarbage(MapContents contents) {
    Map<CtKey, CtValue> entries = ct.entries();
    long now = clock.now();
    Config c = config();
    long reclaimBefore = entries.size() > ctCapacity / 2
        ? now + c.lifetimeJiffies(Protocols.PROTO_TCP, CtFlags.CT_CLOSING)
            - (long) RECLAIM_CLOSING_AFTER_SECONDS * c.effectiveHz()
        : Long.MIN_VALUE;
    ConntrackGc.Pass pass =
        ConntrackGc.plan(entries, now, reclaimBefore, c.generation(), new ConntrackRevalidator(contents));
    ct.deleteAll(pass.deletions());
    // The program counts up between this read and these writes; the next pass corrects what is lost.
    List<Integer> stale = new ArrayList<>();
    for (Integer endpoint : counts.entries().keySet()) {
      if (!pass.counts().containsKey(endpoint)) {
        stale.add(endpoint);
      }
    }
    counts.deleteAll(stale);
    List<Map.Entry<Integer, Integer>> fresh = new ArrayList<>(pass.counts().entrySet());
    counts.putAll(fresh);
    return pass;
  }

  /** The connections counted per endpoint id. */
  public Map<Integer, Integer> counts() {
    return counts.entries();
  }

  public Map<CtKey, CtValue> entries() {
    return ct.entries();
  }
}
