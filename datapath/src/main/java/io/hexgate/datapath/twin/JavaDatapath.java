package io.hexgate.datapath.twin;


import io.hexgate.datapath.maps.ConntrackGc;
import io.hexgate.datapath.maps.ConntrackRevalidator;
import io.hexgate.datapath.maps.IpcacheTable;
import static io.hexgate.datapath.abi.Directions.DIR_EGRESS;
import static io.hexgate.datapath.abi.Directions.DIR_INGRESS;
import static io.hexgate.datapath.abi.Directions.DIR_NETDEV;
import static io.hexgate.datapath.abi.Directions.DIR_SERVICE;
import static io.hexgate.datapath.abi.DropReasons.FORWARDED;
import io.hexgate.datapath.abi.Config;
import io.hexgate.datapath.abi.CtKey;
import io.hexgate.datapath.abi.CtValue;
import io.hexgate.datapath.abi.DropReasons;
import io.hexgate.datapath.abi.FragKey;
import io.hexgate.datapath.abi.FragValue;
import io.hexgate.datapath.abi.MetricsValue;
import io.hexgate.datapath.maps.MapContents;
import io.hexgate.datapath.maps.PolicyFolding;
import io.hexgate.datapath.maps.PolicyTable;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.LongSupplier;

/**
 * The datapath in Java: the steps of datapath/bpf/hexgate_lxc.c, one for one, on the same {@link MapContents}
 * and the same Ethernet frames, with the same verdicts, drop reasons, rewritten bytes, events, counters and
 * conntrack effects. The agent runs it where eBPF is unavailable; the differential test holds it to the
 * kernel. Differences by design: the CT table has no size limit (the kernel's map refuses new connections
 * when full, 155) and event times are 0. Its clock (jiffies, for CT expiries, at the {@code hz} of its
 * {@link Config} as in hg_config) is injectable; the kernel's is its jiffies ({@link
 * io.hexgate.datapath.bpf.JiffiesClock}). Thread-safe (one packet at a time).
 *
 * <p>As the program has them: {@link Packet} parses and rewrites, {@link TwinConntrack} tracks connections,
 * {@link ServiceTranslation} load-balances, {@link ProgramRun} is the hook that judges and reports.
 */
public final class JavaDatapath {
  /** HZ of the default clock: {@link System#nanoTime()} in milliseconds. */
  public static final int DEFAULT_HZ = 1000;

  private final LongSupplier clock;
  private ProgramRun.Tables tables;
  private ConntrackRevalidator judge;
  private final TwinConntrack ct;
  private final Map<FragKey, FragValue> frags = new LinkedHashMap<>();
  private final TwinCounters counters = new TwinCounters();

  /**
   * A twin whose clock ticks {@link #DEFAULT_HZ} times a second ({@link System#nanoTime()} in milliseconds),
   * configured with that HZ.
   */
  public JavaDatapath(MapContents maps) {
    this(maps, () -> System.nanoTime() / (1_000_000_000L / DEFAULT_HZ), DEFAULT_HZ);
  }

  /**
   * @param clock now in jiffies, for CT expiries (the kernel's: its jiffies)
   * @param hz the clock's ticks per second, the hz of the initial configuration (a later {@link #configure}
   *     gives its own, as hg_config does; 0 = {@link Config#HZ_FALLBACK})
   */
  public JavaDatapath(MapContents maps, LongSupplier clock, int hz) {
    this.clock = clock;
    Config config = new Config(0).withHz(hz);
    this.ct = new TwinConntrack(config);
    this.tables = new ProgramRun.Tables(MapContents.EMPTY, null, null, config);
    update(maps);
  }

  /**
   * Switches to new map contents; connections tracked so far stay (they are judged again when next used,
   * once the generation in {@link #configure} changes, as in the kernel).
   */
  public synchronized void update(MapContents next) {
    PolicyTable policy = new PolicyTable(next.policy());
    IpcacheTable ipcache = new IpcacheTable(next.ipcacheHosts(), next.ipcache());
    this.tables = new ProgramRun.Tables(next, policy, ipcache, tables.config());
    this.judge = new ConntrackRevalidator(next.endpoints(), policy, ipcache);
    ct.use(judge, next.endpoints());
  }

  /** hg_config: flags, policy generation, connection quota, CT lifetimes, HZ. */
  public synchronized void configure(Config next) {
    this.tables = new ProgramRun.Tables(tables.maps(), tables.policy(), tables.ipcache(), next);
    ct.configure(next);
  }

  public synchronized Config config() {
    return tables.config();
  }

  /** Now on the twin's clock, in jiffies. */
  public long now() {
    return clock.getAsLong();
  }

  private ProgramRun run(byte[] frame, int dir, int ingressIfindex) {
    return run(frame, dir, ingressIfindex, 0);
  }

  private ProgramRun run(byte[] frame, int dir, int ingressIfindex, int mark) {
    return new ProgramRun(frame, dir, ingressIfindex, mark, tables, ct, frags, counters, clock);
  }

  /**
   * The program on the host side's ingress: packets the pod sends, arriving on interface {@code ifindex}
   * ({@code skb->ingress_ifindex}; compared with the endpoint's and the connection's).
   */
  public synchronized Verdict fromPod(byte[] frame, int ifindex) {
    return fromPod(frame, ifindex, 0);
  }

  /** As {@link #fromPod(byte[], int)}, the packet carrying {@code skb->mark} {@code mark}. */
  public synchronized Verdict fromPod(byte[] frame, int ifindex, int mark) {
    return run(frame, DIR_EGRESS, ifindex, mark).handle();
  }

  /** The program on the host side's egress: packets delivered to the pod. */
  public synchronized Verdict toPod(byte[] frame) {
    return toPod(frame, 0);
  }

  /**
   * As {@link #toPod(byte[])}, the packet carrying {@code skb->mark} {@code mark}: the proxy's sockets mark
   * what they send ({@link io.hexgate.datapath.abi.ProxyMarks}).
   */
  public synchronized Verdict toPod(byte[] frame, int mark) {
    return run(frame, DIR_INGRESS, 0, mark).handle();
  }

  /**
   * to_proxy, on lo's ingress: what to_pod sent to the ingress proxy. The twin has no proxy listener, so a
   * marked SYN is dropped (178); everything else passes.
   */
  public synchronized Verdict toProxy(byte[] frame, int mark) {
    return run(frame, DIR_INGRESS, 0, mark).toProxy();
  }

  /** not_ready_from_pod: the host side's ingress before the endpoint's policy is in force. */
  public synchronized Verdict notReadyFromPod(byte[] frame) {
    return run(frame, DIR_EGRESS, 0).notReady();
  }

  /** not_ready_to_pod: the host side's egress before the endpoint's policy is in force. */
  public synchronized Verdict notReadyToPod(byte[] frame) {
    return run(frame, DIR_INGRESS, 0).notReady();
  }

  /** The uplink program: counts and forwards, except what claims a local pod's source address. */
  public synchronized Verdict fromNetdev(byte[] frame) {
    return run(frame, DIR_NETDEV, 0).fromNetdev(frame);
  }

  /** A copy of hg_frags: the ports of datagrams whose first fragment was forwarded. */
  public synchronized Map<FragKey, FragValue> fragments() {
    return Collections.unmodifiableMap(new LinkedHashMap<>(frags));
  }

  public synchronized void clearFragments() {
    frags.clear();
  }

  /** A copy of the connection tracking table. */
  public synchronized Map<CtKey, CtValue> conntrack() {
    return ct.entries();
  }

  /** hg_ct_counts: connections recorded per endpoint id (only while a quota is configured). */
  public synchronized Map<Integer, Integer> conntrackCounts() {
    return ct.counts();
  }

  /**
   * The agent's conntrack GC on this table ({@link ConntrackGc}, the same pass BpfDatapath runs on the
   * kernel's map): deletes expired and no longer allowed connections, recounts the quota counters.
   */
  public synchronized ConntrackGc.Pass collectGarbage() {
    return ct.collectGarbage(now());
  }

  /** How many CT entries have been judged again since the last {@link #update} (tests). */
  public synchronized long judged() {
    return judge.judged();
  }

  /** Replaces one entry (tests: e.g. to let an entry expire). */
  public synchronized void putConntrack(CtKey k, CtValue v) {
    ct.put(k, v);
  }

  public synchronized void clearConntrack() {
    ct.clear();
  }

  /** Counters of one reason (0 = forwarded) and direction. */
  public synchronized MetricsValue counter(int reason, int direction) {
    return counters.get(reason, direction);
  }

  /** The protocol class a packet's IP protocol is looked up as (for callers explaining verdicts). */
  public static int policyProtocol(int ipProtocol) {
    return PolicyFolding.ProtoClass.of(ipProtocol).number;
  }
}
