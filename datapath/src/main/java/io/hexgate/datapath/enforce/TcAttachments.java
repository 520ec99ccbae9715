package io.hexgate.datapath.enforce;

import io.hexgate.contract.PodInterfaces;
import io.hexgate.contract.v1.EndpointKey;
import io.hexgate.datapath.bpf.BpfException;
import io.hexgate.datapath.bpf.BpfProgram;
import io.hexgate.datapath.bpf.Tc;
import io.hexgate.datapath.netns.NetNs;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The datapath's tc filters on one node: {@code from_pod} on the ingress and {@code to_pod} on the egress
 * hook of each endpoint's host-side interface, {@code from_netdev} on the uplinks' ingress. Every filter
 * has the same handle and priority, so attaching over an existing one (a previous agent's) replaces it
 * atomically: packets meet either the old program or the new one, never none.
 *
 * <p>Not thread-safe: used only on the thread inside the node's network namespace, where interface names
 * and indexes mean what they mean to the pods.
 */
final class TcAttachments {
  private static final Logger log = LoggerFactory.getLogger(TcAttachments.class);

  /** "HG": the handle of every Hexgate filter; priority 1 runs it before any other filter. */
  static final int HANDLE = 0x4847;
  static final int PRIORITY = 1;

  private final String node;
  private final BpfProgram fromPod;
  private final BpfProgram toPod;
  private final BpfProgram fromNetdev;
  /** endpoint → ifindex its filters are on */
  private final Map<EndpointKey, Integer> attached = new HashMap<>();
  /** endpoint → why it is not attached (retried) */
  private final Map<EndpointKey, String> failed = new LinkedHashMap<>();
  private final Map<String, Integer> uplinks = new LinkedHashMap<>();
  /**
   * Whether a previous agent attached here: then interfaces seen for the first time most likely have their
   * clsact qdisc already, and attaching goes first (creating an existing qdisc makes the kernel complain
   * in libbpf's log, as does attaching without one).
   */
  private final boolean adopted;
  private final Set<Integer> seen = new java.util.HashSet<>();

  TcAttachments(String node, boolean adopted, BpfProgram fromPod, BpfProgram toPod, BpfProgram fromNetdev) {
    this.node = node;
    this.adopted = adopted;
    this.fromPod = fromPod;
    this.toPod = toPod;
    this.fromNetdev = fromNetdev;
  }

  /**
   * Attaches the filters of every endpoint in {@code desired} not attached yet (or whose interface was
   * recreated), detaches those of endpoints no longer desired. Returns the endpoints that could not be
   * attached, with the reason; they are retried by {@link #retry}.
   */
  Map<EndpointKey, String> reconcile(Set<EndpointKey> desired) {
    for (EndpointKey k : List.copyOf(attached.keySet())) {
      if (!desired.contains(k)) {
        detach(k);
      }
    }
    failed.keySet().retainAll(desired);
    for (EndpointKey k : desired) {
      ensure(k);
    }
    return Map.copyOf(failed);
  }

  /** Retries failed endpoints and re-attaches those whose interface was recreated; true if anything changed. */
  boolean retry() {
    boolean changed = false;
    for (EndpointKey k : List.copyOf(failed.keySet())) {
      changed |= ensure(k);
    }
    for (EndpointKey k : List.copyOf(attached.keySet())) {
      changed |= ensure(k);
    }
    return changed;
  }

  /** Forgets which filters are attached, so that the next reconcile attaches all of them again. */
  void forgetAttached() {
    attached.clear();
  }

  Map<EndpointKey, String> failed() {
    return Map.copyOf(failed);
  }

  Set<EndpointKey> attached() {
    return Set.copyOf(attached.keySet());
  }

  /** Attaches {@code from_netdev} to the uplinks that are present; logs the others. */
  void attachUplinks(List<String> names) {
    for (String name : names) {
      int ifindex = NetNs.ifIndex(name);
      if (ifindex == 0) {
        log.warn("node {}: uplink {} not found; traffic arriving on it is not counted", node, name);
        continue;
      }
      if (uplinks.get(name) != null && uplinks.get(name) == ifindex) {
        continue;
      }
      try {
        attach(ifindex, Tc.Hook.INGRESS, fromNetdev);
        uplinks.put(name, ifindex);
      } catch (BpfException e) {
        log.warn("node {}: cannot attach from_netdev to uplink {}: {}", node, name, e.getMessage());
      }
    }
  }

  /**
   * Detaches Hexgate filters from pod interfaces ({@code lxc…}) that belong to none of {@code desired}:
   * what a previous agent attached for endpoints that went away while no agent ran.
   */
  int detachStale(Set<EndpointKey> desired) {
    Set<String> wanted = new java.util.HashSet<>();
    for (EndpointKey k : desired) {
      wanted.add(PodInterfaces.hostSide(k.getNamespace(), k.getName()));
    }
    int n = 0;
    for (Map.Entry<String, Integer> i : NetNs.interfaces().entrySet()) {
      if (i.getKey().startsWith("lxc") && !wanted.contains(i.getKey())) {
        boolean any = Tc.detach(i.getValue(), Tc.Hook.INGRESS, HANDLE, PRIORITY);
        any |= Tc.detach(i.getValue(), Tc.Hook.EGRESS, HANDLE, PRIORITY);
        if (any) {
          log.info("node {}: detached stale filters from {} (no endpoint of this node)", node, i.getKey());
          n++;
        }
      }
    }
    return n;
  }

  /** Detaches every filter this instance knows of (endpoints and uplinks). */
  void detachAll() {
    for (EndpointKey k : List.copyOf(attached.keySet())) {
      detach(k);
    }
    for (Map.Entry<String, Integer> u : uplinks.entrySet()) {
      if (NetNs.ifIndex(u.getKey()) == u.getValue()) {
        Tc.detach(u.getValue(), Tc.Hook.INGRESS, HANDLE, PRIORITY);
      }
    }
    uplinks.clear();
  }

  /** Attaches k's filters unless they are on its current interface; true if it attached now. */
  private boolean ensure(EndpointKey k) {
    String ifname = PodInterfaces.hostSide(k.getNamespace(), k.getName());
    int ifindex = NetNs.ifIndex(ifname);
    if (ifindex == 0) {
      attached.remove(k);
      failed.put(k, "interface " + ifname + " of " + k.getNamespace() + "/" + k.getName() + " not found on node " + node);
      return false;
    }
    Integer had = attached.get(k);
    if (had != null && had == ifindex) {
      return false;
    }
    try {
      // to_pod first: the pod's ingress policy holds before its own packets start being judged
      attach(ifindex, Tc.Hook.EGRESS, toPod);
      attach(ifindex, Tc.Hook.INGRESS, fromPod);
    } catch (BpfException e) {
      attached.remove(k);
      failed.put(k, "cannot attach to " + ifname + " on node " + node + ": " + e.getMessage());
      return false;
    }
    attached.put(k, ifindex);
    if (failed.remove(k) != null) {
      log.info("node {}: endpoint {}/{} is enforced now (attached to {})", node, k.getNamespace(), k.getName(), ifname);
    }
    return true;
  }

  /** Attaches over whatever filter has our handle and priority, creating the clsact qdisc when missing. */
  private void attach(int ifindex, Tc.Hook hook, BpfProgram program) {
    boolean firstSight = seen.add(ifindex);
    if (firstSight && !adopted) {
      Tc.createClsact(ifindex);
    }
    try {
      Tc.attach(ifindex, hook, program, HANDLE, PRIORITY, true);
    } catch (BpfException e) {
      // no qdisc after all: a pod created while no agent ran, or someone removed it
      Tc.createClsact(ifindex);
      Tc.attach(ifindex, hook, program, HANDLE, PRIORITY, true);
    }
  }

  private void detach(EndpointKey k) {
    Integer ifindex = attached.remove(k);
    failed.remove(k);
    String ifname = PodInterfaces.hostSide(k.getNamespace(), k.getName());
    if (ifindex != null && NetNs.ifIndex(ifname) == ifindex) {
      try {
        Tc.detach(ifindex, Tc.Hook.INGRESS, HANDLE, PRIORITY);
        Tc.detach(ifindex, Tc.Hook.EGRESS, HANDLE, PRIORITY);
      } catch (BpfException e) {
        // the interface went away meanwhile: nothing left to detach
        log.debug("node {}: detaching from {}: {}", node, ifname, e.getMessage());
      }
    }
  }
}
