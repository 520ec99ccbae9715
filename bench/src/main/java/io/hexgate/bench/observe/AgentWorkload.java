package io.hexgate.bench.observe;

import io.hexgate.contract.hubble.flow.FlowFilter;
import io.hexgate.contract.hubble.flow.Verdict;
import io.hexgate.contract.hubble.observer.GetFlowsRequest;
import io.hexgate.contract.net.Ipv4;
import io.hexgate.contract.v1.EndpointKey;
import io.hexgate.contract.v1.EndpointState;
import io.hexgate.contract.v1.Identity;
import io.hexgate.contract.v1.IpcacheEntry;
import io.hexgate.contract.v1.PolicyRef;
import io.hexgate.contract.v1.Protocol;
import io.hexgate.contract.v1.RuleMap;
import io.hexgate.contract.v1.ServiceBackend;
import io.hexgate.contract.v1.ServiceFrontend;
import io.hexgate.contract.v1.ServiceState;
import io.hexgate.contract.v1.StateUpdate;
import io.hexgate.datapath.abi.Directions;
import io.hexgate.datapath.abi.DropReasons;
import io.hexgate.datapath.abi.Event;
import io.hexgate.datapath.abi.Protocols;
import io.hexgate.datapath.abi.Verdicts;
import io.hexgate.datapath.agent.AgentState;
import io.hexgate.datapath.flow.hubble.FlowNames;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * What one agent of a mid-sized cluster sees: the node's state (local endpoints with their identities and
 * default-deny policies, pods of other nodes in the IP cache, world CIDRs, service frontends, the policies
 * behind rule ids) and a pool of the datapath's ring-buffer records in a realistic mix: mostly allowed
 * ingress and egress verdicts between pods of six namespaces, DNS to kube-dns, connections through
 * ClusterIPs, traffic to the world, ICMP, and about one in ten dropped (default deny, explicit deny).
 * Deterministic (fixed seed).
 */
public final class AgentWorkload {
  static final String[] NAMESPACES = {"default", "shop", "billing", "monitoring", "kube-system", "payments"};
  private static final int[] PORTS = {80, 443, 8080, 5432, 6379, 9090, 3000};
  private static final int WORLD_IDENTITY = 2;
  private static final int CIDR_IDENTITY_BASE = 16777217;

  /** Sizes of the node's view of the cluster. */
  public record Size(int localEndpoints, int remotePods, int identities, int services, int policies, int records) {
    public static final Size DEFAULT = new Size(100, 400, 150, 30, 50, 8192);
    /** For tests: a few of each. */
    public static final Size TINY = new Size(8, 20, 10, 3, 4, 256);

    public Size {
      if (localEndpoints < 1 || remotePods < 1 || identities < NAMESPACES.length || services < 1 || policies < 1
          || records < 1) {
        throw new IllegalArgumentException("every workload size must be positive (identities at least "
            + NAMESPACES.length + "): " + this);
      }
    }
  }

  private record Pod(String namespace, String name, String ip, long identity, int endpointId) {}

  private final Size size;
  private final FlowNames names = new FlowNames();
  private final Map<Integer, List<PolicyRef>> rules = new HashMap<>();
  private final byte[] records;

  public AgentWorkload(Size size) {
    this.size = size;
    Random random = new Random(42);
    StateUpdate.Builder snapshot = StateUpdate.newBuilder().setEpoch("bench").setRevision(1).setSnapshot(true)
        .setComplete(true);
    List<PolicyRef> policies = new ArrayList<>();
    for (int p = 0; p < size.policies(); p++) {
      policies.add(PolicyRef.newBuilder().setKind("CiliumNetworkPolicy")
          .setNamespace(NAMESPACES[p % NAMESPACES.length]).setName("allow-app-" + p).build());
      rules.put(p + 1, List.of(policies.get(p)));
    }
    List<List<String>> identityLabels = new ArrayList<>();
    for (int i = 0; i < size.identities(); i++) {
      String ns = NAMESPACES[i % NAMESPACES.length];
      identityLabels.add(List.of("k8s:app=app-" + i, "k8s:io.cilium.k8s.policy.cluster=default",
          "k8s:io.cilium.k8s.policy.serviceaccount=app-" + i, "k8s:io.kubernetes.pod.namespace=" + ns));
    }
    Map<Integer, EndpointKey> endpointIds = new HashMap<>();
    List<Pod> local = new ArrayList<>();
    for (int e = 0; e < size.localEndpoints(); e++) {
      int identityIndex = random.nextInt(size.identities());
      Pod pod = pod(identityIndex, "l" + e, Ipv4.format(Ipv4.parse("10.0.1.0") + 2 + e), 100 + e);
      local.add(pod);
      EndpointKey key = EndpointKey.newBuilder().setNamespace(pod.namespace()).setName(pod.name()).build();
      endpointIds.put(pod.endpointId(), key);
      PolicyRef denies = policies.get(e % policies.size());
      snapshot.addUpsertEndpoints(EndpointState.newBuilder().setKey(key).setIp(pod.ip())
          .setIdentity(Identity.newBuilder().setId(pod.identity()).addAllLabels(identityLabels.get(identityIndex)))
          .setIngress(RuleMap.newBuilder().setEnforcing(true).addDefaultDenyBy(denies))
          .setEgress(RuleMap.newBuilder().setEnforcing(e % 3 == 0).addDefaultDenyBy(denies)));
      snapshot.addUpsertIpcache(ipcache(pod, identityLabels.get(identityIndex)));
    }
    List<Pod> remote = new ArrayList<>();
    for (int r = 0; r < size.remotePods(); r++) {
      int identityIndex = random.nextInt(size.identities());
      // node 2, 3, ... of the cluster: 10.0.n.0/24 each
      Pod pod = pod(identityIndex, "r" + r, Ipv4.format(Ipv4.parse("10.0.2.0") + (r / 250) * 256 + 2 + r % 250), 0);
      remote.add(pod);
      snapshot.addUpsertIpcache(ipcache(pod, identityLabels.get(identityIndex)));
    }
    for (int c = 0; c < 10; c++) {
      snapshot.addUpsertIpcache(IpcacheEntry.newBuilder().setPrefix("192.0." + c + ".0/24").setIdentity(CIDR_IDENTITY_BASE + c));
    }
    List<String[]> frontends = new ArrayList<>(); // ClusterIP, port, backend IP
    for (int s = 0; s < size.services(); s++) {
      Pod backend = remote.get(random.nextInt(remote.size()));
      String clusterIp = Ipv4.format(Ipv4.parse("10.96.0.10") + s);
      int port = s == 0 ? 53 : PORTS[s % PORTS.length];
      snapshot.addUpsertServices(ServiceState.newBuilder()
          .setFrontend(ServiceFrontend.newBuilder().setIp(clusterIp).setPort(port)
              .setProtocol(s == 0 ? Protocol.PROTOCOL_UDP : Protocol.PROTOCOL_TCP))
          .setService(s == 0 ? "kube-system/kube-dns" : backend.namespace() + "/svc-" + s)
          .addBackends(ServiceBackend.newBuilder().setIp(backend.ip()).setPort(port)));
      frontends.add(new String[] {clusterIp, Integer.toString(port), backend.ip(), Long.toString(backend.identity())});
    }
    names.update(AgentState.EMPTY.apply(snapshot.build()), endpointIds);
    this.records = records(size.records(), random, local, remote, frontends);
  }

  private static Pod pod(int identityIndex, String suffix, String ip, int endpointId) {
    String ns = NAMESPACES[identityIndex % NAMESPACES.length];
    return new Pod(ns, "app-" + identityIndex + "-7d9f8c6b5-" + suffix, ip, 1000 + identityIndex, endpointId);
  }

  private static IpcacheEntry ipcache(Pod pod, List<String> labels) {
    return IpcacheEntry.newBuilder().setPrefix(pod.ip() + "/32").setIdentity(pod.identity())
        .setNamespace(pod.namespace()).setPodName(pod.name()).addAllLabels(labels).build();
  }

  private byte[] records(int count, Random random, List<Pod> local, List<Pod> remote, List<String[]> frontends) {
    ByteBuffer out = ByteBuffer.allocate(count * Event.SIZE).order(ByteOrder.nativeOrder());
    List<Pod> everyone = new ArrayList<>(local);
    everyone.addAll(remote);
    for (int i = 0; i < count; i++) {
      Pod me = local.get(random.nextInt(local.size()));
      Pod peer = everyone.get(random.nextInt(everyone.size()));
      int sport = 32768 + random.nextInt(28000);
      int port = PORTS[random.nextInt(PORTS.length)];
      int rule = 1 + random.nextInt(rules.size());
      int kind = random.nextInt(100);
      Event e;
      if (kind < 55) { // allowed ingress: a SYN from a pod to a local endpoint
        e = tcp(Event.EVENT_POLICY_VERDICT, Directions.DIR_INGRESS, Event.ACTION_ALLOW, Verdicts.MATCH_L3_L4, 0, me,
            peer.identity(), peer.ip(), me.identity(), me.ip(), sport, port, rule, 0, 0);
      } else if (kind < 72) { // allowed egress to a pod
        e = tcp(Event.EVENT_POLICY_VERDICT, Directions.DIR_EGRESS, Event.ACTION_ALLOW, Verdicts.MATCH_L3_L4, 0, me,
            me.identity(), me.ip(), peer.identity(), peer.ip(), sport, port, rule, 0, 0);
      } else if (kind < 80) { // egress through a ClusterIP: the datapath judges the backend
        String[] f = frontends.get(frontends.size() == 1 ? 0 : 1 + random.nextInt(frontends.size() - 1));
        e = tcp(Event.EVENT_POLICY_VERDICT, Directions.DIR_EGRESS, Event.ACTION_ALLOW, Verdicts.MATCH_L3_L4, 0, me,
            me.identity(), me.ip(), Long.parseLong(f[3]), f[2], sport, Integer.parseInt(f[1]), rule,
            Ipv4.parse(f[0]), Integer.parseInt(f[1]));
      } else if (kind < 85) { // DNS to kube-dns
        String[] dns = frontends.get(0);
        e = new Event(0, Event.EVENT_POLICY_VERDICT, Directions.DIR_EGRESS, Event.ACTION_ALLOW, Verdicts.MATCH_L3_L4,
            0, Protocols.PROTO_UDP, 0, me.endpointId(), (int) me.identity(), (int) Long.parseLong(dns[3]),
            Ipv4.parse(me.ip()), Ipv4.parse(dns[2]), sport, 53, rule, Ipv4.parse(dns[0]), 53, 0, 0, 72);
      } else if (kind < 88) { // to the world
        e = tcp(Event.EVENT_POLICY_VERDICT, Directions.DIR_EGRESS, Event.ACTION_ALLOW, Verdicts.MATCH_L3_L4, 0, me,
            me.identity(), me.ip(), CIDR_IDENTITY_BASE + random.nextInt(10),
            "192.0." + random.nextInt(10) + "." + (1 + random.nextInt(250)), sport, 443, rule, 0, 0);
      } else if (kind < 90) { // ping
        e = new Event(0, Event.EVENT_POLICY_VERDICT, Directions.DIR_INGRESS, Event.ACTION_ALLOW, Verdicts.MATCH_L3_ONLY,
            0, Protocols.PROTO_ICMP, 0, me.endpointId(), (int) peer.identity(), (int) me.identity(),
            Ipv4.parse(peer.ip()), Ipv4.parse(me.ip()), 0, 0, rule, 0, 0, 8, 0, 84);
      } else if (kind < 98) { // default deny: no rule matched
        e = tcp(Event.EVENT_POLICY_VERDICT, Directions.DIR_INGRESS, Event.ACTION_DENY, Verdicts.MATCH_NONE,
            DropReasons.DROP_POLICY, me, peer.identity(), peer.ip(), me.identity(), me.ip(), sport, port, 0, 0, 0);
      } else { // an explicit deny rule
        e = tcp(Event.EVENT_POLICY_VERDICT, Directions.DIR_INGRESS, Event.ACTION_DENY, Verdicts.MATCH_L3_ONLY,
            DropReasons.DROP_POLICY_DENY, me, WORLD_IDENTITY, "203.0.113." + (1 + random.nextInt(250)), me.identity(),
            me.ip(), sport, port, rule, 0, 0);
      }
      Event.CODEC.write(e, out);
    }
    return out.array();
  }

  private static Event tcp(int type, int direction, int action, int match, int reason, Pod judge, long srcIdentity,
      String saddr, long dstIdentity, String daddr, int sport, int dport, int rule, int origDaddr, int origDport) {
    return new Event(0, type, direction, action, match, reason, Protocols.PROTO_TCP, 0x02, judge.endpointId(),
        (int) srcIdentity, (int) dstIdentity, Ipv4.parse(saddr), Ipv4.parse(daddr), sport, dport, rule, origDaddr,
        origDport, 0, 0, 60);
  }

  public Size size() {
    return size;
  }

  /** The node's names, as the agent keeps them after applying the snapshot. */
  public FlowNames names() {
    return names;
  }

  /** The policies behind each rule id, as the map contents in force give them. */
  public Map<Integer, List<PolicyRef>> rules() {
    return rules;
  }

  /** How many distinct records the pool holds; the benchmark cycles through them. */
  public int recordCount() {
    return size.records();
  }

  /**
   * A copy of record {@code index} (modulo the pool), stamped with {@code monotonicNanos} as the kernel
   * stamps it (bpf_ktime_get_ns, the clock System.nanoTime reads): what the ring buffer's reader hands on.
   */
  public byte[] record(int index, long monotonicNanos) {
    byte[] copy = new byte[Event.SIZE];
    System.arraycopy(records, (index % size.records()) * Event.SIZE, copy, 0, Event.SIZE);
    ByteBuffer.wrap(copy).order(ByteOrder.nativeOrder()).putLong(0, monotonicNanos);
    return copy;
  }

  /** What a user following drops and the default namespace asks: {@code --verdict DROPPED} or {@code --from-pod default/}. */
  public static GetFlowsRequest followDropsOrDefault() {
    return GetFlowsRequest.newBuilder().setFollow(true)
        .addWhitelist(FlowFilter.newBuilder().addVerdict(Verdict.DROPPED))
        .addWhitelist(FlowFilter.newBuilder().addSourcePod("default/"))
        .build();
  }

  /** Every flow, following: {@code hubble observe -f}. */
  public static GetFlowsRequest followAll() {
    return GetFlowsRequest.newBuilder().setFollow(true).build();
  }
}
