package io.hexgate.datapath.twin;

import static io.hexgate.datapath.abi.Directions.DIR_EGRESS;
import static io.hexgate.datapath.abi.Directions.DIR_INGRESS;
import static io.hexgate.datapath.abi.Directions.DIR_NETDEV;
import static io.hexgate.datapath.abi.Directions.DIR_SERVICE;
import static io.hexgate.datapath.abi.DropReasons.FORWARDED;

import io.hexgate.datapath.abi.BackendKey;
import io.hexgate.datapath.abi.BackendValue;
import io.hexgate.datapath.abi.Config;
import io.hexgate.datapath.abi.CtFlags;
import io.hexgate.datapath.abi.CtKey;
import io.hexgate.datapath.abi.CtValue;
import io.hexgate.datapath.abi.DropReasons;
import io.hexgate.datapath.abi.EndpointKey;
import io.hexgate.datapath.abi.EndpointValue;
import io.hexgate.datapath.abi.Event;
import io.hexgate.datapath.abi.FragKey;
import io.hexgate.datapath.abi.FragValue;
import io.hexgate.datapath.abi.MetricsValue;
import io.hexgate.datapath.abi.PolicyValue;
import io.hexgate.datapath.abi.Protocols;
import io.hexgate.datapath.abi.ServiceKey;
import io.hexgate.datapath.abi.ServiceValue;
import io.hexgate.datapath.abi.Verdicts;
import io.hexgate.datapath.maps.IpcacheTable;
import io.hexgate.datapath.maps.MapContents;
import io.hexgate.datapath.maps.PolicyFolding;
import io.hexgate.datapath.maps.PolicyTable;
import java.nio.ByteBuffer;
import io.hexgate.datapath.maps.ConntrackGc;
import io.hexgate.datapath.maps.ConntrackRevalidator;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.function.LongSupplier;

/**
 * The datapath in Java: the steps of datapath/bpf/hexgate_lxc.c, one for one, on the same {@link MapContents}
 * and the same Ethernet frames, with the same verdicts, drop reasons, rewritten bytes, events, counters and
 * conntrack effects. The agent runs it where eBPF is unavailable; the differential test holds it to the
 * kernel. Differences by design: the CT table has no size limit (the kernel's map refuses new connections
 * when full, 155) and event times are 0. Its clock (jiffies, for CT expiries, at the {@code hz} of its
 * {@link Config} as in hg_config) is injectable; the kernel's is its jiffies ({@link
 * io.hexgate.datapath.bpf.JiffiesClock}). Thread-safe (one packet at a time).
 */
public final class JavaDatapath {
  private static final int ETH_HLEN = 14;
  private static final int TCP_FIN = 0x01;
  private static final int TCP_SYN = 0x02;
  private static final int TCP_RST = 0x04;
  private static final int TCP_ACK = 0x10;
  private static final int ICMP_ECHO_REPLY = 0;
  private static final int ICMP_DEST_UNREACH = 3;
  private static final int ICMP_FRAG_NEEDED = 4;
  private static final int ICMP_ECHO_REQUEST = 8;
  private static final int ICMP_TIME_EXCEEDED = 11;
  private static final int ICMP_PARAMETERPROB = 12;
  private static final int IP_MF = 0x2000;
  private static final int IP_OFFSET = 0x1fff;
  private static final int FRAG_FIRST = 1;
  private static final int FRAG_LATER = 2;

  /** HZ of the default clock: {@link System#nanoTime()} in milliseconds. */
  public static final int DEFAULT_HZ = 1000;

  private final LongSupplier clock;
  private MapContents maps;
  private PolicyTable policy;
  private IpcacheTable ipcache;
  private ConntrackRevalidator judge;
  private Config config;
  private final Map<CtKey, CtValue> ct = new LinkedHashMap<>();
  private final Map<FragKey, FragValue> frags = new LinkedHashMap<>();
  private final Map<Integer, Integer> ctCounts = new HashMap<>();
  private final long[] packets = new long[io.hexgate.datapath.abi.MetricsValue.METRICS_SLOTS];
  private final long[] bytes = new long[io.hexgate.datapath.abi.MetricsValue.METRICS_SLOTS];

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
    this.config = new Config(0).withHz(hz);
    update(maps);
  }

  /**
   * Switches to new map contents; connections tracked so far stay (they are judged again when next used,
   * once the generation in {@link #configure} changes, as in the kernel).
   */
  public synchronized void update(MapContents next) {
    this.maps = next;
    this.policy = new PolicyTable(next.policy());
    this.ipcache = new IpcacheTable(next.ipcacheHosts(), next.ipcache());
    this.judge = new ConntrackRevalidator(next.endpoints(), policy, ipcache);
  }

  /** hg_config: flags, policy generation, connection quota, CT lifetimes, HZ. */
  public synchronized void configure(Config next) {
    this.config = next;
  }

  public synchronized Config config() {
    return config;
  }

  /** Now on the twin's clock, in jiffies. */
  public long now() {
    return clock.getAsLong();
  }

  /**
   * The program on the host side's ingress: packets the pod sends, arriving on interface {@code ifindex}
   * ({@code skb->ingress_ifindex}; compared with the endpoint's and the connection's).
   */
  public synchronized Verdict fromPod(byte[] frame, int ifindex) {
    return new Run(frame, DIR_EGRESS, ifindex).handle();
  }

  /** The program on the host side's egress: packets delivered to the pod. */
  public synchronized Verdict toPod(byte[] frame) {
    return new Run(frame, DIR_INGRESS, 0).handle();
  }

  /** not_ready_from_pod: the host side's ingress before the endpoint's policy is in force. */
  public synchronized Verdict notReadyFromPod(byte[] frame) {
    return new Run(frame, DIR_EGRESS, 0).notReady();
  }

  /** not_ready_to_pod: the host side's egress before the endpoint's policy is in force. */
  public synchronized Verdict notReadyToPod(byte[] frame) {
    return new Run(frame, DIR_INGRESS, 0).notReady();
  }

  /** The uplink program: counts and forwards, except what claims a local pod's source address. */
  public synchronized Verdict fromNetdev(byte[] frame) {
    Run r = new Run(frame, DIR_NETDEV, 0);
    r.parse();
    if (r.saddr != 0 && maps.endpoints().containsKey(new EndpointKey(r.saddr))) {
      return r.drop(DropReasons.DROP_INVALID_SIP, null);
    }
    count(FORWARDED, DIR_NETDEV, frame.length);
    return new Verdict(Verdict.TC_ACT_OK, FORWARDED, frame.clone(), Optional.empty());
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
    return Collections.unmodifiableMap(new LinkedHashMap<>(ct));
  }

  /** hg_ct_counts: connections recorded per endpoint id (only while a quota is configured). */
  public synchronized Map<Integer, Integer> conntrackCounts() {
    return Map.copyOf(ctCounts);
  }

  /**
   * The agent's conntrack GC on this table ({@link ConntrackGc}, the same pass BpfDatapath runs on the
   * kernel's map): deletes expired and no longer allowed connections, recounts the quota counters.
   */
  public synchronized ConntrackGc.Pass collectGarbage() {
    ConntrackGc.Pass pass = ConntrackGc.plan(ct, now(), config.generation(), judge);
    pass.deletions().forEach(ct::remove);
    ctCounts.clear();
    ctCounts.putAll(pass.counts());
    return pass;
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
    ctCounts.clear();
  }

  /** Counters of one reason (0 = forwarded) and direction. */
  public synchronized MetricsValue counter(int reason, int direction) {
    int slot = io.hexgate.datapath.abi.MetricsValue.metricsSlot(reason, direction);
    return new MetricsValue(packets[slot], bytes[slot]);
  }

  private void count(int reason, int dir, int len) {
    int slot = io.hexgate.datapath.abi.MetricsValue.metricsSlot(reason, dir);
    packets[slot]++;
    bytes[slot] += len;
  }

  /** Parse results (struct hg_pkt), the packet, and the steps of one program run. */
  private final class Run {
    final byte[] pkt;
    final ByteBuffer buf;
    final int dir;
    final int ingressIfindex;
    // struct hg_pkt
    int saddr;
    int daddr;
    int sport;
    int dport;
    int protocol;
    int tupleDir;
    int l4Off;
    int policyPort;
    int policyProto;
    int tcpFlags;
    int icmpType;
    int icmpCode;
    int frag;
    int ipId;
    long now;

    Run(byte[] frame, int dir, int ingressIfindex) {
      this.pkt = frame.clone();
      this.buf = ByteBuffer.wrap(pkt);
      this.dir = dir;
      this.ingressIfindex = ingressIfindex;
    }

    Verdict handle() {
      int ret = parse();
      if (ret == 1) {
        return new Verdict(Verdict.TC_ACT_OK, FORWARDED, pkt, Optional.empty());
      }
      if (ret < 0) {
        return drop(-ret, null);
      }
      if (frag == FRAG_LATER) {
        ret = laterFragment();
        if (ret < 0) {
          return drop(-ret, null);
        }
      }
      boolean first = frag == FRAG_FIRST && hasPorts(protocol);
      FragKey fk = first ? fragKey() : null;
      FragValue fv = first ? new FragValue(sport, dport) : null;
      Verdict v = handleIpv4();
      if (first && v.reason() == FORWARDED) {
        frags.put(fk, fv);
      }
      return v;
    }

    private FragKey fragKey() {
      return new FragKey(saddr, daddr, ipId, protocol);
    }

    private int laterFragment() {
      if (!hasPorts(protocol)) {
        return -DropReasons.DROP_FRAG_NOT_SUPPORTED;
      }
      FragValue v = frags.get(fragKey());
      if (v == null) {
        return -DropReasons.DROP_FRAG_NOT_SUPPORTED;
      }
      sport = v.sport();
      dport = v.dport();
      policyPort = v.dport();
      policyProto = protocol;
      return 0;
    }

    /** Everything but ARP dropped (203) with a drop event. */
    Verdict notReady() {
      if (parse() == 1) {
        return new Verdict(Verdict.TC_ACT_OK, FORWARDED, pkt, Optional.empty());
      }
      return drop(DropReasons.DROP_EP_NOT_READY, null);
    }

    private int u8(int off) {
      return pkt[off] & 0xff;
    }

    private int u16(int off) {
      return buf.getShort(off) & 0xffff;
    }

    /** 0 = an IPv4 packet to judge, 1 = pass untouched, negative = drop reason. */
    private int parse() {
      if (pkt.length < ETH_HLEN) {
        return -DropReasons.DROP_INVALID;
      }
      int proto = u16(12);
      if (proto == 0x0806) {
        return 1;
      }
      if (proto != 0x0800) {
        return -DropReasons.DROP_UNKNOWN_L3;
      }
      if (pkt.length < ETH_HLEN + 20) {
        return -DropReasons.DROP_INVALID;
      }
      int ihl = u8(ETH_HLEN) & 0xf;
      int version = u8(ETH_HLEN) >> 4;
      if (version != 4 || ihl < 5) {
        return -DropReasons.DROP_INVALID;
      }
      saddr = buf.getInt(ETH_HLEN + 12);
      daddr = buf.getInt(ETH_HLEN + 16);
      protocol = u8(ETH_HLEN + 9);
      l4Off = ETH_HLEN + ihl * 4;
      int fragOff = u16(ETH_HLEN + 6);
      if ((fragOff & (IP_OFFSET | IP_MF)) != 0) {
        ipId = u16(ETH_HLEN + 4);
        if ((fragOff & IP_OFFSET) != 0) {
          frag = FRAG_LATER;
          return 0;
        }
        frag = FRAG_FIRST;
      }
      return parseL4();
    }

    private int parseL4() {
      int avail = pkt.length - l4Off;
      switch (protocol) {
        case Protocols.PROTO_TCP -> {
          if (avail < 20) {
            return -DropReasons.DROP_INVALID;
          }
          sport = u16(l4Off);
          dport = u16(l4Off + 2);
          tcpFlags = u8(l4Off + 13);
          policyPort = dport;
          policyProto = Protocols.PROTO_TCP;
        }
        case Protocols.PROTO_UDP, Protocols.PROTO_SCTP -> {
          if (avail < 8) {
            return -DropReasons.DROP_INVALID;
          }
          sport = u16(l4Off);
          dport = u16(l4Off + 2);
          policyPort = dport;
          policyProto = protocol;
        }
        case Protocols.PROTO_ICMP -> {
          if (avail < 8) {
            return -DropReasons.DROP_INVALID;
          }
          icmpType = u8(l4Off);
          icmpCode = u8(l4Off + 1);
          if (icmpType == ICMP_ECHO_REQUEST) {
            sport = u16(l4Off + 4);
          } else if (icmpType == ICMP_ECHO_REPLY) {
            dport = u16(l4Off + 4);
          }
          policyPort = icmpType;
          policyProto = Protocols.PROTO_ICMP;
        }
        default -> policyProto = Protocols.PROTO_OTHER;
      }
      return 0;
    }

    private boolean isNewRequest() {
      if (protocol == Protocols.PROTO_TCP) {
        return (tcpFlags & (TCP_SYN | TCP_ACK)) == TCP_SYN;
      }
      return protocol == Protocols.PROTO_ICMP && icmpType == ICMP_ECHO_REQUEST;
    }

    private boolean isTracked() {
      return protocol != Protocols.PROTO_ICMP || icmpType == ICMP_ECHO_REQUEST || icmpType == ICMP_ECHO_REPLY;
    }

    private CtKey tuple() {
      return new CtKey(saddr, daddr, sport, dport, protocol, tupleDir);
    }

    private Verdict forward() {
      count(FORWARDED, dir, pkt.length);
      return new Verdict(Verdict.TC_ACT_OK, FORWARDED, pkt, Optional.empty());
    }

    /** j null: a drop event; else a policy-verdict event. Dropped packets leave unmodified. */
    private Verdict drop(int reason, Judgement j) {
      count(reason, dir, pkt.length);
      return new Verdict(Verdict.TC_ACT_SHOT, reason, pkt,
          Optional.of(event(j == null ? io.hexgate.datapath.abi.Event.EVENT_DROP : io.hexgate.datapath.abi.Event.EVENT_POLICY_VERDICT, reason, j)));
    }

    private Event event(int type, int reason, Judgement j) {
      Judgement k = j == null ? new Judgement() : j;
      return new Event(0, type, dir, k.action, k.matchType, reason, protocol, k.endpoint, k.srcIdentity,
          k.dstIdentity, saddr, daddr, sport, dport, k.ruleId, k.origDaddr, k.origDport, pkt.length);
    }

    // ------------------------------------------------------------------------------- translation

    private int tupleHash() {
      int h = Integer.reverseBytes(saddr) * 0x9E3779B1;
      h = (h ^ Integer.reverseBytes(daddr)) * 0x85EBCA6B;
      int ports = (Short.toUnsignedInt(Short.reverseBytes((short) sport)) << 16)
          | Short.toUnsignedInt(Short.reverseBytes((short) dport));
      h = (h ^ ports) * 0xC2B2AE35;
      h ^= protocol;
      return h ^ (h >>> 16);
    }

    private int l4CsumOff() {
      return protocol == Protocols.PROTO_TCP ? 16 : protocol == Protocols.PROTO_UDP ? 6 : 0;
    }

    private void rewrite(boolean source, int oldAddr, int oldPort, int newAddr, int newPort) {
      int addrOff = ETH_HLEN + (source ? 12 : 16);
      int portOff = l4Off + (source ? 0 : 2);
      boolean l4 = frag != FRAG_LATER;
      int csumOff = l4 ? l4CsumOff() : 0;
      boolean mangled = protocol == Protocols.PROTO_UDP;
      if (csumOff != 0) {
        csumOff += l4Off;
        l4Replace(csumOff, mangled, true, oldAddr, newAddr);
        l4Replace(csumOff, mangled, false, oldPort, newPort);
      }
      int ipCheck = ETH_HLEN + 10;
      buf.putShort(ipCheck, (short) Checksums.replace4(u16(ipCheck), oldAddr, newAddr));
      buf.putInt(addrOff, newAddr);
      if (l4) {
        buf.putShort(portOff, (short) newPort);
      }
    }

    private void l4Replace(int off, boolean mangled, boolean four, int from, int to) {
      int check = u16(off);
      if (mangled && check == 0) {
        return;
      }
      int next = four ? Checksums.replace4(check, from, to) : Checksums.replace2(check, from, to);
      if (mangled && next == 0) {
        next = 0xffff;
      }
      buf.putShort(off, (short) next);
    }

    private final class ServiceHit {
      int frontendAddr;
      int frontendPort;
      boolean hit;
      boolean record;
      BackendValue backend;
    }

    private int translateService(ServiceHit s) {
      if (protocol != Protocols.PROTO_TCP && protocol != Protocols.PROTO_UDP) {
        return 0;
      }
      ServiceValue sv = maps.services().get(new ServiceKey(daddr, dport, protocol));
      if (sv == null) {
        return 0;
      }
      s.hit = true;
      s.frontendAddr = daddr;
      s.frontendPort = dport;
      tupleDir = DIR_SERVICE;
      CtKey svcKey = tuple();
      CtValue svcCt = isNewRequest() ? null : ct.get(svcKey);
      if (svcCt != null && now < svcCt.expires()) {
        touch(svcKey, svcCt);
        s.backend = new BackendValue(svcCt.natAddr(), svcCt.natPort());
      } else {
        if (sv.count() == 0) {
          return -DropReasons.DROP_NO_SERVICE;
        }
        int slot = Integer.remainderUnsigned(tupleHash(), sv.count());
        BackendValue b = maps.backends().get(new BackendKey(sv.serviceId(), slot));
        if (b == null) {
          return -DropReasons.DROP_NO_SERVICE;
        }
        s.backend = b;
        s.record = true;
      }
      daddr = s.backend.addr();
      dport = s.backend.port();
      policyPort = s.backend.port();
      return 0;
    }

    // ------------------------------------------------------------------------------- the hook

    private Verdict handleIpv4() {
      ServiceHit svc = new ServiceHit();
      Judgement j = new Judgement();

      now = clock.getAsLong();
      tupleDir = dir;
      CtValue entry = null;
      boolean lookedUp = false;
      if (dir == DIR_EGRESS) {
        if (isTracked() && !isNewRequest()) {
          entry = lookupLive(tuple());
          if (entry != null) {
            if (!sourceOk(entry.ifindex())) {
              return drop(DropReasons.DROP_INVALID_SIP, null);
            }
            entry = touch(tuple(), entry);
            return isReplyEntry(entry) ? reply(entry) : forward();
          }
          lookedUp = true;
        }
        int ret = translateService(svc);
        if (ret < 0) {
          return drop(-ret, null);
        }
        tupleDir = dir;
      }

      if (isTracked()) {
        CtKey key = tuple();
        if (!lookedUp || svc.hit) {
          entry = lookupLive(key);
        }
        if (entry != null && isReplyEntry(entry)) {
          if (!isNewRequest()) {
            if (!ctSourceOk(entry)) {
              return drop(DropReasons.DROP_INVALID_SIP, null);
            }
            return reply(touch(key, entry));
          }
        } else if (entry != null) {
          if (!ctSourceOk(entry)) {
            return drop(DropReasons.DROP_INVALID_SIP, null);
          }
          if (!isNewRequest() || protocol != Protocols.PROTO_TCP) {
            touch(key, entry);
            return pass(svc);
          }
          forget(key);
        }
        if (!isNewRequest()) {
          CtValue reverse = lookupLive(key.reply());
          if (reverse != null && (reverse.flags() & (CtFlags.CT_REPLY | CtFlags.CT_MIDSTREAM)) == 0) {
            if (!ctSourceOk(reverse)) {
              return drop(DropReasons.DROP_INVALID_SIP, null);
            }
            return reply(touch(key.reply(), reverse));
          }
        }
      }

      EndpointValue ep = maps.endpoints().get(new EndpointKey(dir == DIR_EGRESS ? saddr : daddr));
      if (ep == null) {
        return drop(dir == DIR_EGRESS ? DropReasons.DROP_INVALID_SIP : DropReasons.DROP_UNROUTABLE, null);
      }
      if (dir == DIR_EGRESS && !sourceOk(ep.ifindex())) {
        return drop(DropReasons.DROP_INVALID_SIP, null);
      }
      if (isIcmpError()) {
        Verdict related = icmpRelated();
        if (related != null) {
          return related;
        }
        if (icmpType == ICMP_DEST_UNREACH && icmpCode == ICMP_FRAG_NEEDED) {
          return forward();
        }
      }
      int remote = ipcache.identityOf(dir == DIR_EGRESS ? daddr : saddr);
      PolicyValue pol = policy.lookup(ep.id(), remote, dir, policyProto, policyPort);

      j.endpoint = ep.id();
      j.srcIdentity = dir == DIR_EGRESS ? ep.identity() : remote;
      j.dstIdentity = dir == DIR_EGRESS ? remote : ep.identity();
      j.origDaddr = svc.frontendAddr;
      j.origDport = svc.frontendPort;
      int verdict = pol == null ? Verdicts.VERDICT_NONE : pol.verdict();
      if (pol != null) {
        j.ruleId = pol.ruleId();
        j.matchType = pol.matchType();
      }
      switch (verdict) {
        case Verdicts.VERDICT_ALLOW -> { }
        case Verdicts.VERDICT_DENY -> {
          j.action = io.hexgate.datapath.abi.Event.ACTION_DENY;
          return drop(DropReasons.DROP_POLICY_DENY, j);
        }
        case Verdicts.VERDICT_REDIRECT -> {
          j.action = io.hexgate.datapath.abi.Event.ACTION_REDIRECT;
          return drop(DropReasons.DROP_PROXY_UNSUPPORTED, j);
        }
        default -> {
          j.action = io.hexgate.datapath.abi.Event.ACTION_DENY;
          j.matchType = Verdicts.MATCH_NONE;
          j.ruleId = 0;
          return drop(DropReasons.DROP_POLICY, j);
        }
      }

      if (isTracked() && (config.flags() & Config.CONFIG_NO_CT_CREATE) == 0) {
        int state = flagsAfter(0);
        if (protocol == Protocols.PROTO_TCP && (tcpFlags & TCP_SYN) == 0) {
          state |= CtFlags.CT_MIDSTREAM;
        }
        long expires = now + config.lifetimeJiffies(protocol, state);
        long renew = config.renewOf(expires, now);
        int generation = config.generation();
        boolean recorded = record(tuple(), svc.hit
            ? new CtValue(ep.id(), j.ruleId, svc.frontendAddr, svc.frontendPort, state | CtFlags.CT_NAT, ep.ifindex(), remote,
                expires, generation, renew)
            : new CtValue(ep.id(), j.ruleId, 0, 0, state, ep.ifindex(), remote, expires, generation, renew));
        if (!recorded) {
          return drop(DropReasons.DROP_CT_CREATE_FAILED, j);
        }
        if (svc.record) {
          ct.put(new CtKey(saddr, svc.frontendAddr, sport, svc.frontendPort, protocol, DIR_SERVICE),
              new CtValue(ep.id(), 0, svc.backend.addr(), svc.backend.port(),
                  CtFlags.CT_NAT | (state & (CtFlags.CT_SEEN_NON_SYN | CtFlags.CT_CLOSING)), ep.ifindex(), remote,
                  expires,
                  generation, renew));
        }
      }
      Event verdictEvent = event(io.hexgate.datapath.abi.Event.EVENT_POLICY_VERDICT, FORWARDED, j);
      Verdict v = pass(svc);
      return new Verdict(v.tcAction(), v.reason(), v.packet(), Optional.of(verdictEvent));
    }

    // ------------------------------------------------------------------------------- validation

    /** source_ok: arrived on the interface of the source's endpoint or connection; 0 matches nothing. */
    private boolean sourceOk(int ifindex) {
      return ifindex != 0 && ifindex == ingressIfindex;
    }

    private boolean ctSourceOk(CtValue entry) {
      return dir != DIR_EGRESS || sourceOk(entry.ifindex());
    }

    private boolean isIcmpError() {
      return protocol == Protocols.PROTO_ICMP
          && (icmpType == ICMP_DEST_UNREACH || icmpType == ICMP_TIME_EXCEEDED || icmpType == ICMP_PARAMETERPROB);
    }

    /** parse_quote: the quoted packet's tuple in the other hook's direction, with its header offsets. */
    private record Quote(CtKey tuple, int ipOff, int l4Off) {}

    private Quote parseQuote() {
      int ipOff = l4Off + 8;
      if (pkt.length < ipOff + 20) {
        return null;
      }
      int vihl = u8(ipOff);
      int ihl = vihl & 0xf;
      if ((vihl >> 4) != 4 || ihl < 5 || (u16(ipOff + 6) & IP_OFFSET) != 0) {
        return null;
      }
      int qL4 = ipOff + ihl * 4;
      if (pkt.length < qL4 + 8) {
        return null;
      }
      int qProto = u8(ipOff + 9);
      int qSport = 0;
      int qDport = 0;
      switch (qProto) {
        case Protocols.PROTO_TCP, Protocols.PROTO_UDP, Protocols.PROTO_SCTP -> {
          qSport = u16(qL4);
          qDport = u16(qL4 + 2);
        }
        case Protocols.PROTO_ICMP -> {
          int type = u8(qL4);
          if (type == ICMP_ECHO_REQUEST) {
            qSport = u16(qL4 + 4);
          } else if (type == ICMP_ECHO_REPLY) {
            qDport = u16(qL4 + 4);
          } else {
            return null;
          }
        }
        default -> {
          return null;
        }
      }
      CtKey t = new CtKey(buf.getInt(ipOff + 12), buf.getInt(ipOff + 16), qSport, qDport, qProto,
          dir == DIR_EGRESS ? DIR_INGRESS : DIR_EGRESS);
      return new Quote(t, ipOff, qL4);
    }

    /** icmp_related: the verdict of an error about a tracked connection of this pod, null if unrelated. */
    private Verdict icmpRelated() {
      Quote q = parseQuote();
      if (q == null) {
        return null;
      }
      if (dir == DIR_EGRESS ? q.tuple().daddr() != saddr : q.tuple().saddr() != daddr) {
        return null;
      }
      CtValue entry = lookupLive(q.tuple());
      if (entry == null || !ctSourceOk(entry)) {
        return null;
      }
      if ((entry.flags() & (CtFlags.CT_NAT | CtFlags.CT_REPLY)) == CtFlags.CT_NAT) {
        quoteRevNat(q, entry.natAddr(), entry.natPort());
      }
      return forward();
    }

    /** quote_rev_nat: the quote's backend becomes the frontend, and so does the sender when it is the backend. */
    private void quoteRevNat(Quote q, int frontend, int frontendPort) {
      int icmpCsum = l4Off + 2;
      int checkOff = q.ipOff() + 10;
      int backend = q.tuple().daddr();
      int backendPort = q.tuple().dport();
      int oldCheck = u16(checkOff);
      buf.putShort(checkOff, (short) Checksums.replace4(oldCheck, backend, frontend));
      int newCheck = u16(checkOff);
      buf.putInt(q.ipOff() + 16, frontend);
      buf.putShort(q.l4Off() + 2, (short) frontendPort);
      l4Replace(icmpCsum, false, true, backend, frontend);
      l4Replace(icmpCsum, false, false, oldCheck, newCheck);
      l4Replace(icmpCsum, false, false, backendPort, frontendPort);
      if (saddr != backend) {
        return;
      }
      int ipCheck = ETH_HLEN + 10;
      buf.putShort(ipCheck, (short) Checksums.replace4(u16(ipCheck), backend, frontend));
      buf.putInt(ETH_HLEN + 12, frontend);
    }

    private Verdict reply(CtValue entry) {
      if ((entry.flags() & CtFlags.CT_NAT) != 0) {
        rewrite(true, saddr, sport, entry.natAddr(), entry.natPort());
      }
      return forward();
    }

    /** ct_forget: the connection and its reply entry, not an entry of a connection the other way. */
    private void forget(CtKey key) {
      CtKey r = key.reply();
      CtValue v = ct.get(r);
      ct.remove(key);
      if (v != null && isReplyEntry(v)) {
        ct.remove(r);
      }
    }

    /** ct_record; the twin forwards rather than routes, but records CT_LOCAL as the kernel does. */
    private boolean record(CtKey key, CtValue entry) {
      boolean egress = key.direction() == DIR_EGRESS;
      boolean local = maps.endpoints().containsKey(new EndpointKey(egress ? key.daddr() : key.saddr()));
      if (!charge(entry.endpoint())) {
        return false;
      }
      ct.put(key, entry.withFlags(entry.flags() | (local && egress ? CtFlags.CT_LOCAL : 0)));
      if ((entry.flags() & CtFlags.CT_MIDSTREAM) != 0) {
        return true;
      }
      CtKey r = key.reply();
      CtValue there = ct.get(r);
      if (there == null || isReplyEntry(there) || now >= there.expires()) {
        ct.put(r, entry.withFlags(entry.flags() | CtFlags.CT_REPLY | (local && !egress ? CtFlags.CT_LOCAL : 0)));
      }
      return true;
    }

    /** ct_charge: counts a connection against its endpoint's quota; false when it is used up. */
    private boolean charge(int endpoint) {
      if (config.ctQuota() == 0) {
        return true;
      }
      int n = ctCounts.getOrDefault(endpoint, 0);
      if (n >= config.ctQuota()) {
        return false;
      }
      ctCounts.put(endpoint, n + 1);
      return true;
    }

    /**
     * ct_lookup_live: the entry if not expired and judged at the current generation, or still allowed when
     * judged again (then stamped); a connection no longer allowed is forgotten, both its entries.
     */
    private CtValue lookupLive(CtKey key) {
      CtValue v = ct.get(key);
      if (v == null || now >= v.expires()) {
        return null;
      }
      if (v.generation() == config.generation() || key.direction() == DIR_SERVICE) {
        return v;
      }
      if (judge.stillAllowed(key, v)) {
        CtValue stamped = v.withGeneration(config.generation());
        ct.put(key, stamped);
        return stamped;
      }
      forget(isReplyEntry(v) ? key.reply() : key);
      return null;
    }

    /** ct_flags_after: the TCP state flags an entry has once this packet passed it. */
    private int flagsAfter(int flags) {
      if (protocol != Protocols.PROTO_TCP) {
        return flags;
      }
      if ((tcpFlags & (TCP_FIN | TCP_RST)) != 0) {
        return flags | CtFlags.CT_CLOSING;
      }
      if ((tcpFlags & TCP_SYN) == 0) {
        return flags | CtFlags.CT_SEEN_NON_SYN;
      }
      return flags;
    }

    /**
     * ct_touch: the entry's life starts again; written only when its state changes or a second has passed
     * since it was written ({@code renew}), with the lifetime the configuration says then.
     */
    private CtValue touch(CtKey key, CtValue v) {
      int flags = flagsAfter(v.flags());
      if (flags == v.flags() && now + v.renew() < v.expires()) {
        return v;
      }
      long expires = now + config.lifetimeJiffies(protocol, flags);
      // the connection starts closing: its own entry, or its reply entry marking it
      if ((flags & ~v.flags() & CtFlags.CT_CLOSING) != 0 && key.direction() != DIR_SERVICE
          && (closePartner(key, v) || !isReplyEntry(v))) {
        uncharge(v.endpoint());
      }
      CtValue t = v.withFlags(flags).renewedAt(now, expires, config);
      ct.put(key, t);
      return t;
    }

    /** ct_close_partner: a FIN or RST gives the connection's other entry the closing lifetime too. */
    private boolean closePartner(CtKey key, CtValue v) {
      CtKey r = key.reply();
      CtValue other = ct.get(r);
      if (other == null || ((other.flags() ^ v.flags()) & CtFlags.CT_REPLY) == 0
          || (other.flags() & CtFlags.CT_CLOSING) != 0 || now >= other.expires()) {
        return false;
      }
      ct.put(r, other.withFlags(other.flags() | CtFlags.CT_CLOSING)
          .renewedAt(now, now + config.lifetimeJiffies(Protocols.PROTO_TCP, CtFlags.CT_CLOSING), config));
      return true;
    }

    /** ct_uncharge: a connection that starts closing no longer counts against the quota. */
    private void uncharge(int endpoint) {
      if (config.ctQuota() == 0) {
        return;
      }
      int n = ctCounts.getOrDefault(endpoint, 0);
      if (n > 0) {
        ctCounts.put(endpoint, n - 1);
      }
    }

    private Verdict pass(ServiceHit svc) {
      if (svc.hit) {
        rewrite(false, svc.frontendAddr, svc.frontendPort, svc.backend.addr(), svc.backend.port());
      }
      return forward();
    }
  }

  private static boolean hasPorts(int protocol) {
    return protocol == Protocols.PROTO_TCP || protocol == Protocols.PROTO_UDP || protocol == Protocols.PROTO_SCTP;
  }

  private static boolean isReplyEntry(CtValue v) {
    return (v.flags() & CtFlags.CT_REPLY) != 0;
  }

  /** struct hg_judgement */
  private static final class Judgement {
    int endpoint;
    int srcIdentity;
    int dstIdentity;
    int ruleId;
    int origDaddr;
    int origDport;
    int action;
    int matchType;
  }

  /** The protocol class a packet's IP protocol is looked up as (for callers explaining verdicts). */
  public static int policyProtocol(int ipProtocol) {
    return PolicyFolding.ProtoClass.of(ipProtocol).number;
  }
}
