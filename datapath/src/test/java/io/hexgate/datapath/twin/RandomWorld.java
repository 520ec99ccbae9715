package io.hexgate.datapath.twin;

import io.hexgate.contract.net.Ipv4;
import io.hexgate.contract.v1.Action;
import io.hexgate.contract.v1.EndpointKey;
import io.hexgate.contract.v1.EndpointState;
import io.hexgate.contract.v1.Identity;
import io.hexgate.contract.v1.PolicyRef;
import io.hexgate.contract.v1.Protocol;
import io.hexgate.contract.v1.RuleMap;
import io.hexgate.contract.v1.RuleMapEntry;
import io.hexgate.contract.v1.ServiceBackend;
import io.hexgate.contract.v1.ServiceFrontend;
import io.hexgate.contract.v1.ServiceState;
import io.hexgate.datapath.agent.AgentState;
import io.hexgate.datapath.bpf.Packets;
import io.hexgate.datapath.abi.ProxyMarks;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * A random node: local pods (endpoints with random rule maps), remote pods, CIDR hosts, world hosts and
 * ClusterIP services; and random packets among them, many of them replies or repeats of earlier ones so
 * that connection tracking and translation are exercised, some of them malformed.
 */
final class RandomWorld {
  final Random rnd;
  final List<Integer> localPods = new ArrayList<>();
  final List<Integer> remotePods = new ArrayList<>();
  final List<Integer> cidrHosts = new ArrayList<>();
  final List<Integer> worldHosts = new ArrayList<>();
  final List<int[]> frontends = new ArrayList<>(); // addr, port, protocol
  final AgentState state;
  /** Host-side interface of each local pod, by endpoint name ("pod" + i → 20 + i). */
  private final Map<String, Integer> ifindexes = new HashMap<>();
  /** Later fragments of trains whose first fragment went out, and others still to come. */
  private final List<Shot> pending = new ArrayList<>();

  private static final long[] IDENTITIES = {256, 257, 258, 259, 260, 16777217, 16777218, 2};
  private static final int[] PORTS = {53, 80, 443, 8080, 9090, 1024, 0, 65535};

  RandomWorld(long seed) {
    rnd = new Random(seed);
    Map<EndpointKey, EndpointState> eps = new HashMap<>();
    Map<String, Long> ipcache = new HashMap<>();
    int locals = 4 + rnd.nextInt(6);
    for (int i = 0; i < locals; i++) {
      int addr = Ipv4.parse("10.0.1." + (10 + i));
      localPods.add(addr);
      long id = IDENTITIES[rnd.nextInt(5)];
      ipcache.put(Ipv4.format(addr) + "/32", id);
      EndpointKey key = EndpointKey.newBuilder().setNamespace("default").setName("pod" + i).build();
      ifindexes.put(key.getName(), 20 + i);
      eps.put(key, EndpointState.newBuilder().setKey(key).setIp(Ipv4.format(addr))
          .setIdentity(Identity.newBuilder().setId(id)).setIngress(ruleMap()).setEgress(ruleMap()).build());
    }
    for (int i = 0; i < 6; i++) {
      int addr = Ipv4.parse("10.0.2." + (10 + i));
      remotePods.add(addr);
      ipcache.put(Ipv4.format(addr), IDENTITIES[rnd.nextInt(5)]);
    }
    ipcache.put("192.0.2.0/24", 16777217L);
    ipcache.put("192.0.2.128/25", 16777218L);
    for (int i = 0; i < 4; i++) {
      cidrHosts.add(Ipv4.parse("192.0.2." + (1 + rnd.nextInt(254))));
      worldHosts.add(Ipv4.parse("203.0.113." + (1 + rnd.nextInt(254))));
    }
    Map<ServiceFrontend, ServiceState> svcs = new HashMap<>();
    int nsvc = 2 + rnd.nextInt(3);
    for (int i = 0; i < nsvc; i++) {
      boolean udp = rnd.nextInt(3) == 0;
      int port = udp ? 53 : PORTS[rnd.nextInt(4)];
      ServiceFrontend fe = ServiceFrontend.newBuilder().setIp("10.96.0." + (10 + i)).setPort(port)
          .setProtocol(udp ? Protocol.PROTOCOL_UDP : Protocol.PROTOCOL_TCP).build();
      frontends.add(new int[] {Ipv4.parse(fe.getIp()), port, udp ? 17 : 6});
      ServiceState.Builder s = ServiceState.newBuilder().setFrontend(fe).setService("default/svc" + i);
      int nb = rnd.nextInt(5) == 0 ? 0 : 1 + rnd.nextInt(3);
      for (int b = 0; b < nb; b++) {
        int backend = rnd.nextBoolean() ? pick(localPods) : pick(remotePods);
        s.addBackends(ServiceBackend.newBuilder().setIp(Ipv4.format(backend)).setPort(rnd.nextBoolean() ? port : 8080));
      }
      svcs.put(fe, s.build());
    }
    state = new AgentState("e", 1, eps, ipcache, svcs);
  }

  private RuleMap ruleMap() {
    RuleMap.Builder m = RuleMap.newBuilder().setEnforcing(true);
    if (rnd.nextInt(6) == 0) { // not enforcing: one allow-everything entry
      return m.setEnforcing(false).addEntries(RuleMapEntry.newBuilder().setPortTo(65535)).build();
    }
    int n = rnd.nextInt(7);
    for (int i = 0; i < n; i++) {
      RuleMapEntry.Builder e = RuleMapEntry.newBuilder();
      e.setRemoteIdentity(rnd.nextInt(4) == 0 ? 0 : IDENTITIES[rnd.nextInt(IDENTITIES.length)]);
      Protocol p = new Protocol[] {Protocol.PROTOCOL_ANY, Protocol.PROTOCOL_TCP, Protocol.PROTOCOL_TCP,
          Protocol.PROTOCOL_UDP, Protocol.PROTOCOL_ICMP, Protocol.PROTOCOL_SCTP}[rnd.nextInt(6)];
      e.setProtocol(p);
      switch (rnd.nextInt(4)) {
        case 0 -> e.setPortFrom(0).setPortTo(65535);
        case 1 -> {
          int port = p == Protocol.PROTOCOL_ICMP ? new int[] {0, 8, 3, 11}[rnd.nextInt(4)] : PORTS[rnd.nextInt(6)];
          e.setPortFrom(port).setPortTo(port);
        }
        default -> {
          int a = PORTS[rnd.nextInt(PORTS.length)];
          int b = a + rnd.nextInt(2000);
          e.setPortFrom(Math.min(a, 65535)).setPortTo(Math.min(b, 65535));
        }
      }
      int r = rnd.nextInt(10);
      e.setAction(r < 6 ? Action.ACTION_ALLOW : r < 9 ? Action.ACTION_DENY : Action.ACTION_REDIRECT);
      e.addDerivedFrom(PolicyRef.newBuilder().setKind("CiliumNetworkPolicy").setNamespace("default")
          .setName("p" + rnd.nextInt(5)));
      m.addEntries(e);
    }
    return m.build();
  }

  <T> T pick(List<T> l) {
    return l.get(rnd.nextInt(l.size()));
  }

  int anyHost() {
    return switch (rnd.nextInt(10)) {
      case 0, 1, 2, 3 -> pick(localPods);
      case 4, 5 -> pick(remotePods);
      case 6, 7 -> pick(cidrHosts);
      default -> pick(worldHosts);
    };
  }

  /** The interface index of a local pod's host side (what {@code withInterfaces} is given). */
  int ifindexOf(EndpointKey k) {
    return ifindexes.getOrDefault(k.getName(), 0);
  }

  private int ifindexOfAddr(int addr) {
    int i = localPods.indexOf(addr);
    return i < 0 ? 0 : 20 + i;
  }

  static final int FROM_POD = 0;
  static final int TO_POD = 1;
  static final int FROM_NETDEV = 2;

  /** A packet, the hook it goes to (FROM_POD, TO_POD, FROM_NETDEV), for from_pod the interface it
   *  arrives on, and its skb->mark. */
  record Shot(byte[] frame, int hook, int ifindex, int mark) {
    Shot(byte[] frame, int hook, int ifindex) {
      this(frame, hook, ifindex, 0);
    }

    boolean fromPod() {
      return hook == FROM_POD;
    }

    String hookName() {
      return new String[] {"from_pod", "to_pod", "from_netdev"}[hook];
    }
  }

  private final List<byte[]> sent = new ArrayList<>();

  /** Remembers a forwarded packet (as it left) so that replies and repeats of it come later. */
  void forwarded(byte[] out) {
    if (sent.size() < 4000) {
      sent.add(out);
    } else {
      sent.set(rnd.nextInt(sent.size()), out);
    }
  }

  Shot next() {
    if (!pending.isEmpty() && rnd.nextInt(3) == 0) {
      return pending.remove(rnd.nextInt(pending.size()));
    }
    int r = rnd.nextInt(100);
    if (r < 27 && !sent.isEmpty()) {
      return reply(pick(sent));
    }
    if (r < 30 && !sent.isEmpty()) {
      return icmpError(pick(sent));
    }
    if (r < 31) {
      return new Shot(rnd.nextBoolean() ? newPacket(pick(localPods), anyHost()) : newPacket(anyHost(), anyHost()),
          FROM_NETDEV, 0);
    }
    if (r < 42 && !sent.isEmpty()) {
      byte[] again = pick(sent).clone();
      if ((again[23] & 0xff) == 6) {
        again[34 + 13] = (byte) (rnd.nextInt(4) == 0 ? 0x02 : 0x18); // a retransmitted SYN, or data
      }
      return hooked(again);
    }
    if (r < 46) {
      return shot(malformed(), rnd.nextBoolean());
    }
    int src = anyHost();
    int dst = rnd.nextInt(4) == 0 && !frontends.isEmpty() ? pick(frontends)[0] : anyHost();
    if (rnd.nextInt(3) == 0) {
      src = pick(localPods); // most traffic has a pod at one end
    }
    if (rnd.nextInt(12) == 0) {
      return fragmentTrain(src, dst);
    }
    return hooked(newPacket(src, dst));
  }

  /**
   * A datagram cut in two: the first fragment now, the later one queued (to the same hook, soon, among
   * other packets); now and then only the later one (an orphan), or one whose IP id does not match.
   */
  private Shot fragmentTrain(int src, int dst) {
    int[] fe = frontends.stream().filter(f -> f[0] == dst).findFirst().orElse(null);
    int sport = 1024 + rnd.nextInt(200);
    int dport = fe != null && rnd.nextInt(4) > 0 ? fe[1] : PORTS[rnd.nextInt(PORTS.length)];
    byte[] payload = new byte[24 + 8 * rnd.nextInt(4)];
    rnd.nextBytes(payload);
    byte[] whole = switch (fe != null && rnd.nextInt(4) > 0 ? (fe[2] == 6 ? 0 : 1) : rnd.nextInt(4)) {
      case 0 -> Packets.tcp(src, dst, sport, dport, new int[] {0x02, 0x10, 0x18}[rnd.nextInt(3)], payload);
      case 1 -> Packets.udp(src, dst, sport, dport, payload);
      case 2 -> Packets.icmp(src, dst, 8, 0, rnd.nextInt(8), 1);
      default -> Packets.raw(src, dst, 47, payload);
    };
    setIpId(whole, rnd.nextInt(65536));
    int payloadBytes = whole.length - 34;
    byte[][] parts = Packets.fragments(whole, 8 * (1 + rnd.nextInt(Math.min(3, (payloadBytes - 1) / 8))));
    Shot first = hooked(parts[0]);
    if (rnd.nextInt(8) == 0) {
      setIpId(parts[1], rnd.nextInt(65536)); // belongs to no first fragment, most likely
    }
    Shot later = new Shot(parts[1], first.hook(), first.ifindex(), first.mark());
    if (rnd.nextInt(6) == 0) {
      return later; // the first fragment never came
    }
    pending.add(later);
    return first;
  }

  private static void setIpId(byte[] f, int id) {
    ByteBuffer b = ByteBuffer.wrap(f);
    int old = b.getShort(18) & 0xffff;
    b.putShort(18, (short) id);
    // incremental fix of the header checksum (RFC 1624)
    int c = (~b.getShort(24) & 0xffff) + (~old & 0xffff) + id;
    c = (c & 0xffff) + (c >>> 16);
    c = (c & 0xffff) + (c >>> 16);
    b.putShort(24, (short) ~c);
  }

  /** An ICMP error quoting an earlier forwarded packet: from its destination or a router, to its source. */
  private Shot icmpError(byte[] earlier) {
    ByteBuffer b = ByteBuffer.wrap(earlier);
    int saddr = b.getInt(26);
    int daddr = b.getInt(30);
    int type = new int[] {3, 3, 11, 12}[rnd.nextInt(4)];
    int code = type == 3 ? new int[] {0, 1, 3, 4}[rnd.nextInt(4)] : 0;
    int sender = rnd.nextInt(3) == 0 ? anyHost() : daddr;
    return hooked(Packets.icmpError(sender, saddr, type, code, earlier));
  }

  private byte[] newPacket(int src, int dst) {
    int[] fe = frontends.stream().filter(f -> f[0] == dst).findFirst().orElse(null);
    int sport = 1024 + rnd.nextInt(200); // few ports: tuples recur
    int dport = fe != null && rnd.nextInt(5) > 0 ? fe[1] : PORTS[rnd.nextInt(PORTS.length)];
    int proto = fe != null && rnd.nextInt(5) > 0 ? fe[2] : -1;
    int kind = proto == 6 ? 0 : proto == 17 ? 5 : rnd.nextInt(10);
    return switch (kind) {
      case 0, 1, 2, 3 -> Packets.tcp(src, dst, sport, dport,
          new int[] {0x02, 0x02, 0x02, 0x12, 0x10, 0x11, 0x04, 0x18}[rnd.nextInt(8)]);
      case 4, 5 -> Packets.udp(src, dst, sport, dport, new byte[rnd.nextInt(20)]);
      case 6, 7 -> {
        int type = new int[] {8, 8, 8, 0, 3, 11, 13}[rnd.nextInt(7)];
        int code = type == 3 ? (rnd.nextBoolean() ? 4 : 3) : 0;
        yield Packets.icmp(src, dst, type, code, rnd.nextInt(8), rnd.nextInt(100));
      }
      case 8 -> Packets.raw(src, dst, 132, new byte[] {0, 80, 0, (byte) 80, 0, 0, 0, 1, 0, 0, 0, 0});
      default -> Packets.raw(src, dst, 47, new byte[8]);
    };
  }

  /** The reply of an earlier forwarded packet (as it left): addresses and ports swapped. */
  private Shot reply(byte[] earlier) {
    byte[] f = earlier.clone();
    ByteBuffer b = ByteBuffer.wrap(f);
    int saddr = b.getInt(26);
    int daddr = b.getInt(30);
    int proto = f[23] & 0xff;
    switch (proto) {
      case 6 -> {
        int flags = (f[47] & 0x02) != 0 && (f[47] & 0x10) == 0 ? 0x12 : new int[] {0x10, 0x18, 0x11, 0x02}[rnd.nextInt(4)];
        return hooked(Packets.tcp(daddr, saddr, b.getShort(36) & 0xffff, b.getShort(34) & 0xffff, flags));
      }
      case 17 -> {
        return hooked(Packets.udp(daddr, saddr, b.getShort(36) & 0xffff, b.getShort(34) & 0xffff, new byte[3]));
      }
      case 1 -> {
        int type = (f[34] & 0xff) == 8 ? (rnd.nextInt(5) == 0 ? 8 : 0) : 0;
        return hooked(Packets.icmp(daddr, saddr, type, 0, b.getShort(38) & 0xffff, b.getShort(40) & 0xffff));
      }
      default -> {
        return hooked(Packets.raw(daddr, saddr, proto, new byte[8]));
      }
    }
  }

  private Shot shot(byte[] f, boolean fromPod) {
    if (!fromPod) {
      // now and then as the proxy's sockets mark what they send (its upstream, its answers), or with a mark
      // no socket of the proxy sets
      int r = rnd.nextInt(24);
      int mark = r < 3 ? ProxyMarks.MARK_FROM_INGRESS_PROXY : r < 5 ? ProxyMarks.MARK_FROM_EGRESS_PROXY
          : r == 5 ? ProxyMarks.MARK_TO_PROXY | rnd.nextInt(0x100) : 0;
      return new Shot(f, TO_POD, 0, mark);
    }
    int own = ifindexOfAddr(ByteBuffer.wrap(f).getInt(26));
    // now and then from another pod's interface (a spoofed source), or one nobody knows
    int r = rnd.nextInt(25);
    int ifindex = r == 0 ? 0 : r == 1 ? 20 + rnd.nextInt(localPods.size()) : own;
    // a mark here never comes from a pod (the veth scrubs it); from_pod must not care
    return new Shot(f, FROM_POD, ifindex, rnd.nextInt(40) == 0 ? ProxyMarks.MARK_FROM_INGRESS_PROXY : 0);
  }

  /** Sends the packet where it would meet a program: from_pod of a local source, to_pod of a local
   *  destination; now and then the other one, or one whose pod it is not. */
  private Shot hooked(byte[] f) {
    ByteBuffer b = ByteBuffer.wrap(f);
    boolean srcLocal = localPods.contains(b.getInt(26));
    boolean dstLocal = localPods.contains(b.getInt(30));
    if (rnd.nextInt(20) == 0) {
      return shot(f, rnd.nextBoolean());
    }
    if (srcLocal && dstLocal) {
      return shot(f, rnd.nextBoolean());
    }
    return shot(f, srcLocal || !dstLocal && rnd.nextBoolean());
  }

  private byte[] malformed() {
    int src = pick(localPods);
    int dst = anyHost();
    byte[] f = Packets.tcp(src, dst, 1000 + rnd.nextInt(100), 80, 0x02);
    switch (rnd.nextInt(7)) {
      case 0 -> {
        byte[] cut = new byte[14 + 20 + rnd.nextInt(20)];
        System.arraycopy(f, 0, cut, 0, cut.length);
        return cut;
      }
      case 1 -> f[12] = (byte) 0x86; // IPv6 ethertype
      case 2 -> {
        f[12] = 0x08;
        f[13] = 0x06; // ARP
      }
      case 3 -> f[14 + 7] = 8; // a later fragment
      case 4 -> f[14] = 0x44; // ihl 4
      case 5 -> f[14] = 0x65; // version 6
      default -> {
        // BPF_PROG_TEST_RUN refuses IPv4 frames shorter than an IP header: truncate the L4 header only
        byte[] icmp = Packets.icmp(src, dst, 8, 0, 1, 1);
        byte[] cut = new byte[14 + 20 + rnd.nextInt(8)];
        System.arraycopy(icmp, 0, cut, 0, cut.length);
        return cut;
      }
    }
    return f;
  }
}
