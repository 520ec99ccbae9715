package io.hexgate.datapath.twin;

import io.hexgate.datapath.abi.Config;
import io.hexgate.datapath.abi.CtFlags;
import io.hexgate.datapath.abi.Directions;
import io.hexgate.datapath.abi.DropReasons;
import io.hexgate.datapath.abi.EndpointKey;
import io.hexgate.datapath.abi.Protocols;
import io.hexgate.datapath.abi.ProxyMarks;
import io.hexgate.datapath.abi.Verdicts;
import static io.hexgate.datapath.abi.Directions.DIR_EGRESS;
import static io.hexgate.datapath.abi.DropReasons.FORWARDED;

import io.hexgate.datapath.maps.IpcacheTable;
import io.hexgate.datapath.abi.CtKey;
import io.hexgate.datapath.abi.CtValue;
import io.hexgate.datapath.abi.EndpointValue;
import io.hexgate.datapath.abi.Event;
import io.hexgate.datapath.abi.FragKey;
import io.hexgate.datapath.abi.FragValue;
import io.hexgate.datapath.abi.PolicyValue;
import io.hexgate.datapath.maps.MapContents;
import io.hexgate.datapath.maps.PolicyTable;
import java.util.Map;
import java.util.Optional;
import java.util.function.LongSupplier;

/**
 * One run of a program on one packet, as handle_ipv4 goes: fragments, conntrack (established and reply
 * packets pass without a policy lookup), service translation, the endpoint's policy, recording the
 * connection, and the verdict with its counter and event.
 */
final class ProgramRun {
  /** The maps and configuration one run reads, as the programs see them at that moment. */
  record Tables(MapContents maps, PolicyTable policy, IpcacheTable ipcache, Config config) {}

  private final Packet p;
  private final int dir;
  private final int ingressIfindex;
  private final Tables t;
  private final TwinConntrack ct;
  private final Map<FragKey, FragValue> frags;
  private final TwinCounters counters;
  private final LongSupplier clock;
  /** skb->mark: as the packet came, then as the program leaves it */
  private int mark;
  private long now;

  ProgramRun(byte[] frame, int dir, int ingressIfindex, int mark, Tables tables, TwinConntrack ct, Map<FragKey, FragValue> frags,
      TwinCounters counters, LongSupplier clock) {
    this.p = new Packet(frame);
    this.dir = dir;
    this.ingressIfindex = ingressIfindex;
    this.mark = mark;
    this.t = tables;
    this.ct = ct;
    this.frags = frags;
    this.counters = counters;
    this.clock = clock;
  }

  /** from_pod / to_pod. */
  Verdict handle() {
    int ret = p.parse();
    if (ret == 1) {
      return untouched();
    }
    if (ret < 0) {
      return drop(-ret, null);
    }
    if (p.frag == Packet.FRAG_LATER) {
      ret = laterFragment();
      if (ret < 0) {
        return drop(-ret, null);
      }
    }
    boolean first = p.frag == Packet.FRAG_FIRST && Packet.hasPorts(p.protocol);
    FragKey fk = first ? p.fragKey() : null;
    FragValue fv = first ? new FragValue(p.sport, p.dport) : null;
    Verdict v = handleIpv4();
    if (first && v.reason() == FORWARDED) {
      frags.put(fk, fv);
    }
    return v;
  }

  /** not_ready: everything but ARP dropped (203) with a drop event. */
  Verdict notReady() {
    if (p.parse() == 1) {
      return untouched();
    }
    return drop(DropReasons.DROP_EP_NOT_READY, null);
  }

  /** from_netdev: counts and forwards, except what claims a local pod's source address. */
  Verdict fromNetdev(byte[] frame) {
    p.parse();
    if (p.saddr != 0 && t.maps().endpoints().containsKey(new EndpointKey(p.saddr))) {
      return drop(DropReasons.DROP_INVALID_SIP, null);
    }
    counters.count(FORWARDED, dir, frame.length);
    return new Verdict(Verdict.TC_ACT_OK, FORWARDED, frame.clone(), Optional.empty(), mark);
  }

  /**
   * to_proxy on lo's ingress: a marked SYN goes to the ingress listener, and the twin has none (178); every
   * other packet passes untouched.
   */
  Verdict toProxy() {
    if (!ProxyMarks.is(mark, ProxyMarks.MARK_TO_PROXY) || p.parse() != 0) {
      return untouched();
    }
    if (p.protocol == Protocols.PROTO_TCP && p.isNewRequest()) {
      return drop(DropReasons.DROP_PROXY_LOOKUP_FAILED, null);
    }
    return untouched();
  }

  private Verdict untouched() {
    return new Verdict(Verdict.TC_ACT_OK, FORWARDED, p.bytes, Optional.empty(), mark);
  }

  private int laterFragment() {
    if (!Packet.hasPorts(p.protocol)) {
      return -DropReasons.DROP_FRAG_NOT_SUPPORTED;
    }
    FragValue v = frags.get(p.fragKey());
    if (v == null) {
      return -DropReasons.DROP_FRAG_NOT_SUPPORTED;
    }
    p.sport = v.sport();
    p.dport = v.dport();
    p.policyPort = v.dport();
    p.policyProto = p.protocol;
    return 0;
  }

  private Verdict handleIpv4() {
    ServiceTranslation svc = new ServiceTranslation();
    Judgement j = new Judgement();
    now = clock.getAsLong();
    p.tupleDir = dir;
    CtValue entry = null;
    boolean lookedUp = false;
    // to_pod: sent by the ingress proxy, which judged this pod's ingress already (upstream of a redirect)
    boolean fromIngressProxy = dir == Directions.DIR_INGRESS && p.protocol == Protocols.PROTO_TCP
        && ProxyMarks.is(mark, ProxyMarks.MARK_FROM_INGRESS_PROXY);
    if (dir == DIR_EGRESS) {
      if (p.isTracked() && !p.isNewRequest()) {
        entry = ct.lookupLive(p.tuple(), now);
        if (entry != null) {
          if (!sourceOk(entry.ifindex())) {
            return drop(DropReasons.DROP_INVALID_SIP, null);
          }
          entry = ct.touch(p.tuple(), entry, p, now);
          return TwinConntrack.isReplyEntry(entry) ? reply(entry) : deliver(entry);
        }
        lookedUp = true;
      }
      int ret = svc.translate(p, t.maps(), ct, now);
      if (ret < 0) {
        return drop(-ret, null);
      }
      p.tupleDir = dir;
    }

    if (p.isTracked()) {
      CtKey key = p.tuple();
      if (!lookedUp || svc.hit) {
        entry = ct.lookupLive(key, now);
      }
      if (entry != null && TwinConntrack.isReplyEntry(entry)) {
        if (!p.isNewRequest()) {
          if (!ctSourceOk(entry)) {
            return drop(DropReasons.DROP_INVALID_SIP, null);
          }
          return reply(ct.touch(key, entry, p, now));
        }
      } else if (entry != null) {
        if (!ctSourceOk(entry)) {
          return drop(DropReasons.DROP_INVALID_SIP, null);
        }
        if (!p.isNewRequest() || p.protocol != Protocols.PROTO_TCP || fromIngressProxy) {
          ct.touch(key, entry, p, now);
          return pass(svc, (entry.flags() & CtFlags.CT_PROXY) != 0);
        }
        ct.forget(key);
      }
      if (!p.isNewRequest()) {
        CtValue reverse = ct.lookupLive(key.reply(), now);
        if (reverse != null && (reverse.flags() & (CtFlags.CT_REPLY | CtFlags.CT_MIDSTREAM)) == 0) {
          if (!ctSourceOk(reverse)) {
            return drop(DropReasons.DROP_INVALID_SIP, null);
          }
          return reply(ct.touch(key.reply(), reverse, p, now));
        }
      }
    }

    EndpointValue ep = t.maps().endpoints().get(new EndpointKey(dir == DIR_EGRESS ? p.saddr : p.daddr));
    if (ep == null) {
      return drop(dir == DIR_EGRESS ? DropReasons.DROP_INVALID_SIP : DropReasons.DROP_UNROUTABLE, null);
    }
    if (dir == DIR_EGRESS && !sourceOk(ep.ifindex())) {
      return drop(DropReasons.DROP_INVALID_SIP, null);
    }
    if (p.isIcmpError()) {
      Verdict related = icmpRelated();
      if (related != null) {
        return related;
      }
      if (p.icmpType == Packet.ICMP_DEST_UNREACH && p.icmpCode == Packet.ICMP_FRAG_NEEDED) {
        return forward();
      }
    }
    int remote = t.ipcache().identityOf(dir == DIR_EGRESS ? p.daddr : p.saddr);
    Verdict denied = judge(ep, remote, svc, j, fromIngressProxy);
    if (denied != null) {
      return denied;
    }
    if (p.isTracked() && (t.config().flags() & Config.CONFIG_NO_CT_CREATE) == 0
        && !recordConnection(ep, remote, svc, j, fromIngressProxy ? CtFlags.CT_PROXY : 0)) {
      return drop(DropReasons.DROP_CT_CREATE_FAILED, j);
    }
    Verdict v = pass(svc, false);
    if (fromIngressProxy) {
      return v; // the proxy judged it: no second verdict
    }
    Event verdictEvent = event(Event.EVENT_POLICY_VERDICT, FORWARDED, j);
    return new Verdict(v.tcAction(), v.reason(), v.packet(), Optional.of(verdictEvent), v.mark());
  }

  /**
   * The endpoint's policy for the packet, filled into {@code j}: null when allowed (or from the ingress
   * proxy, which judged it), else the drop.
   */
  private Verdict judge(EndpointValue ep, int remote, ServiceTranslation svc, Judgement j, boolean fromIngressProxy) {
    PolicyValue pol = fromIngressProxy ? null : t.policy().lookup(ep.id(), remote, dir, p.policyProto, p.policyPort);
    j.endpoint = ep.id();
    j.srcIdentity = dir == DIR_EGRESS ? ep.identity() : remote;
    j.dstIdentity = dir == DIR_EGRESS ? remote : ep.identity();
    j.origDaddr = svc.frontendAddr;
    j.origDport = svc.frontendPort;
    int verdict = fromIngressProxy ? Verdicts.VERDICT_ALLOW : pol == null ? Verdicts.VERDICT_NONE : pol.verdict();
    if (pol != null) {
      j.ruleId = pol.ruleId();
      j.matchType = pol.matchType();
    }
    switch (verdict) {
      case Verdicts.VERDICT_ALLOW -> {
        return null;
      }
      case Verdicts.VERDICT_DENY -> {
        j.action = Event.ACTION_DENY;
        return drop(DropReasons.DROP_POLICY_DENY, j);
      }
      case Verdicts.VERDICT_REDIRECT -> {
        // the twin has no proxy listener: a TCP connection meets an empty hg_proxy_sockets (178)
        j.action = Event.ACTION_REDIRECT;
        return drop(p.protocol == Protocols.PROTO_TCP ? DropReasons.DROP_PROXY_LOOKUP_FAILED
            : DropReasons.DROP_PROXY_UNSUPPORTED, j);
      }
      default -> {
        j.action = Event.ACTION_DENY;
        j.matchType = Verdicts.MATCH_NONE;
        j.ruleId = 0;
        return drop(DropReasons.DROP_POLICY, j);
      }
    }
  }

  /** The allowed connection's entries, and its service entry for a new backend choice; false when refused (quota). */
  private boolean recordConnection(EndpointValue ep, int remote, ServiceTranslation svc, Judgement j, int proxy) {
    Config config = t.config();
    int state = TwinConntrack.flagsAfter(p, proxy);
    if (p.protocol == Protocols.PROTO_TCP && (p.tcpFlags & Packet.TCP_SYN) == 0) {
      state |= CtFlags.CT_MIDSTREAM;
    }
    long expires = now + config.lifetimeJiffies(p.protocol, state);
    long renew = config.renewOf(expires, now);
    int generation = config.generation();
    boolean recorded = ct.record(p.tuple(), svc.hit
        ? new CtValue(ep.id(), j.ruleId, svc.frontendAddr, svc.frontendPort, state | CtFlags.CT_NAT, ep.ifindex(), remote,
            expires, generation, renew)
        : new CtValue(ep.id(), j.ruleId, 0, 0, state, ep.ifindex(), remote, expires, generation, renew), now);
    if (!recorded) {
      return false;
    }
    if (svc.record) {
      ct.put(new CtKey(p.saddr, svc.frontendAddr, p.sport, svc.frontendPort, p.protocol, Directions.DIR_SERVICE),
          new CtValue(ep.id(), 0, svc.backend.addr(), svc.backend.port(),
              CtFlags.CT_NAT | (state & (CtFlags.CT_SEEN_NON_SYN | CtFlags.CT_CLOSING)), ep.ifindex(), remote,
              expires, generation, renew));
    }
    return true;
  }

  /** source_ok: arrived on the interface of the source's endpoint or connection; 0 matches nothing. */
  private boolean sourceOk(int ifindex) {
    return ifindex != 0 && ifindex == ingressIfindex;
  }

  private boolean ctSourceOk(CtValue entry) {
    return dir != DIR_EGRESS || sourceOk(entry.ifindex());
  }

  /** icmp_related: the verdict of an error about a tracked connection of this pod, null if unrelated. */
  private Verdict icmpRelated() {
    Packet.Quote q = p.parseQuote(dir);
    if (q == null) {
      return null;
    }
    if (dir == DIR_EGRESS ? q.tuple().daddr() != p.saddr : q.tuple().saddr() != p.daddr) {
      return null;
    }
    CtValue entry = ct.lookupLive(q.tuple(), now);
    if (entry == null || !ctSourceOk(entry)) {
      return null;
    }
    if ((entry.flags() & (CtFlags.CT_NAT | CtFlags.CT_REPLY)) == CtFlags.CT_NAT) {
      p.quoteRevNat(q, entry.natAddr(), entry.natPort());
    }
    return forward();
  }

  /**
   * reply: a proxied connection's replies go to the proxy untranslated, except in to_pod those the egress
   * proxy sends the pod as the server.
   */
  private Verdict reply(CtValue entry) {
    if ((entry.flags() & CtFlags.CT_PROXY) != 0
        && !(dir == Directions.DIR_INGRESS && ProxyMarks.is(mark, ProxyMarks.MARK_FROM_EGRESS_PROXY))) {
      return proxyDeliver(ProxyMarks.MARK_FROM_EGRESS_PROXY);
    }
    if ((entry.flags() & CtFlags.CT_NAT) != 0) {
      p.rewrite(true, p.saddr, p.sport, entry.natAddr(), entry.natPort());
    }
    return deliver(entry);
  }

  /** deliver: the twin does not route; a proxied connection's packets go to the proxy. */
  private Verdict deliver(CtValue entry) {
    return (entry.flags() & CtFlags.CT_PROXY) != 0 ? proxyDeliver(ProxyMarks.MARK_FROM_EGRESS_PROXY) : forward();
  }

  private Verdict pass(ServiceTranslation svc, boolean proxied) {
    svc.pass(p);
    return proxied ? proxyDeliver(ProxyMarks.MARK_FROM_INGRESS_PROXY) : forward();
  }

  /**
   * proxy_deliver: marked for the proxy, from_pod's into the stack, to_pod's into lo's ingress; to_pod
   * passes what the proxy itself sends ({@code fromMark}) on to the pod.
   */
  private Verdict proxyDeliver(int fromMark) {
    if (dir == Directions.DIR_INGRESS && ProxyMarks.is(mark, fromMark)) {
      return forward();
    }
    mark = ProxyMarks.MARK_TO_PROXY;
    counters.count(FORWARDED, dir, p.length());
    return new Verdict(dir == DIR_EGRESS ? Verdict.TC_ACT_OK : Verdict.TC_ACT_REDIRECT, FORWARDED, p.bytes,
        Optional.empty(), mark);
  }

  // ------------------------------------------------------------------------------- verdicts and events

  private Verdict forward() {
    counters.count(FORWARDED, dir, p.length());
    return new Verdict(Verdict.TC_ACT_OK, FORWARDED, p.bytes, Optional.empty(), mark);
  }

  /** j null: a drop event; else a policy-verdict event. Dropped packets leave unmodified. */
  private Verdict drop(int reason, Judgement j) {
    counters.count(reason, dir, p.length());
    return new Verdict(Verdict.TC_ACT_SHOT, reason, p.bytes,
        Optional.of(event(j == null ? Event.EVENT_DROP : Event.EVENT_POLICY_VERDICT, reason, j)), mark);
  }

  private Event event(int type, int reason, Judgement j) {
    Judgement k = j == null ? new Judgement() : j;
    return new Event(0, type, dir, k.action, k.matchType, reason, p.protocol, p.tcpFlags, k.endpoint,
        k.srcIdentity, k.dstIdentity, p.saddr, p.daddr, p.sport, p.dport, k.ruleId, k.origDaddr, k.origDport,
        p.icmpType, p.icmpCode, p.length());
  }
}
