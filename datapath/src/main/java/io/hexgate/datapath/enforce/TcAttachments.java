package io.hexgate.datapath.enforce;

import io.hexgate.contract.PodInterfaces;
import io.hexgate.contract.v1.EndpointKey;
import io.hexgate.datapath.abi.ProxyMarks;
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
 * hook of each endpoint's host-side interface, {@code from_netdev} on the uplinks' ingress, {@code to_proxy}
 * on lo's ingress, and
 * {@code not_ready_from_pod} / {@code not_ready_to_pod} (drop everything, 203) on every other pod
 * interface ({@code lxc…}): one whose endpoint is not in the applied state yet, or no longer. Every filter
 * has the same handle and priority, so attaching over an existing one (a previous agent's, the CNI's
 * not_ready) replaces it atomically: packets meet either the old program or the new one, never none.
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
  private final BpfProgram notReadyFromPod;
  private final BpfProgram notReadyToPod;
  private final BpfProgram toProxy;
  /** lo's ifindex while to_proxy is attached there */
  private int loopback;
  /** endpoint → ifindex its filters are on */
  private final Map<EndpointKey, Integer> attached = new HashMap<>();
  /** endpoint → why it is not attached (retried) */
  private final Map<EndpointKey, String> failed = new LinkedHashMap<>();
  private final Map<String, Integer> uplinks = new LinkedHashMap<>();
  /** pod interface name → ifindex this instance put not_ready on */
  private final Map<String, Integer> guarded = new HashMap<>();
  /** before the first revision: pod interface name → ifindex found with a previous agent's filters */
  private final Map<String, Integer> inherited = new HashMap<>();
  /**
   * Whether a previous agent attached here: then interfaces seen for the first time most likely have their
   * clsact qdisc already, and attaching goes first (creating an existing qdisc makes the kernel complain
   * in libbpf's log, as does attaching without one).
   */
  private final boolean adopted;
  private final Set<Integer> seen = new java.util.HashSet<>();

  TcAttachments(String node, boolean adopted, BpfProgram fromPod, BpfProgram toPod, BpfProgram fromNetdev,
      BpfProgram notReadyFromPod, BpfProgram notReadyToPod, BpfProgram toProxy) {
    this.node = node;
    this.adopted = adopted;
    this.fromPod = fromPod;
    this.toPod = toPod;
    this.fromNetdev = fromNetdev;
    this.notReadyFromPod = notReadyFromPod;
    this.notReadyToPod = notReadyToPod;
    this.toProxy = toProxy;
  }

  /**
   * Attaches {@code to_proxy} to lo's ingress, where to_pod hands the ingress proxy's packets (over a previous
   * agent's, atomically). It passes every packet it was not sent.
   */
  void attachLoopback() {
    attach(ProxyMarks.LOOPBACK_IFINDEX, Tc.Hook.INGRESS, toProxy);
    loopback = ProxyMarks.LOOPBACK_IFINDEX;
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
   * Puts {@code not_ready} on every pod interface ({@code lxc…}) that no endpoint's filters are attached
   * to: interfaces made before their endpoint's policy arrived (by a CNI that did not attach the pinned
   * not_ready, or by someone else), and those of endpoints that went away while no agent ran.
   *
   * @param stateKnown whether a revision has been applied since this agent started: before that, a
   *     previous agent's filters on an interface are its endpoint's and stay; only hooks with no filter get
   *     not_ready. After it, every interface that is not an attached endpoint's gets not_ready.
   * @return how many interfaces got not_ready now
   */
  int guardUnfiltered(boolean stateKnown) {
    Set<String> owned = new java.util.HashSet<>();
    for (EndpointKey k : attached.keySet()) {
      owned.add(PodInterfaces.hostSide(k.getNamespace(), k.getName()));
    }
    Map<String, Integer> present = NetNs.interfaces();
    guarded.entrySet().removeIf(g -> !g.getValue().equals(present.get(g.getKey())) || owned.contains(g.getKey()));
    if (stateKnown) {
      inherited.clear();
    }
    int n = 0;
    for (Map.Entry<String, Integer> i : present.entrySet()) {
      String name = i.getKey();
      int ifindex = i.getValue();
      if (!name.startsWith("lxc") || owned.contains(name) || Integer.valueOf(ifindex).equals(guarded.get(name))
          || Integer.valueOf(ifindex).equals(inherited.get(name))) {
        continue;
      }
      try {
        boolean in = !stateKnown && Tc.query(ifindex, Tc.Hook.INGRESS, HANDLE, PRIORITY).isPresent();
        boolean out = !stateKnown && Tc.query(ifindex, Tc.Hook.EGRESS, HANDLE, PRIORITY).isPresent();
        if (in && out) {
          inherited.put(name, ifindex);
          continue; // a previous agent's filters: its endpoint's until the first revision says otherwise
        }
        if (!out) {
          attach(ifindex, Tc.Hook.EGRESS, notReadyToPod);
        }
        if (!in) {
          attach(ifindex, Tc.Hook.INGRESS, notReadyFromPod);
        }
      } catch (BpfException e) {
        // gone meanwhile, or the kernel refused: tried again at the next pass
        log.warn("node {}: cannot put not_ready on {}: {}", node, name, e.getMessage());
        continue;
      }
      if (stateKnown) {
        guarded.put(name, ifindex);
      }
      n++;
      log.info("node {}: {} has no endpoint in force here: not_ready drops its traffic", node, name);
    }
    return n;
  }

  /** Detaches every filter this instance knows of (endpoints, guarded interfaces and uplinks). */
  void detachAll() {
    for (Map.Entry<EndpointKey, Integer> a : attached.entrySet()) {
      EndpointKey k = a.getKey();
      String ifname = PodInterfaces.hostSide(k.getNamespace(), k.getName());
      if (NetNs.ifIndex(ifname) == a.getValue()) {
        unguard(ifname, a.getValue());
      }
    }
    attached.clear();
    failed.clear();
    for (Map.Entry<String, Integer> g : guarded.entrySet()) {
      if (NetNs.ifIndex(g.getKey()) == g.getValue()) {
        unguard(g.getKey(), g.getValue());
      }
    }
    guarded.clear();
    for (Map.Entry<String, Integer> u : uplinks.entrySet()) {
      if (NetNs.ifIndex(u.getKey()) == u.getValue()) {
        Tc.detach(u.getValue(), Tc.Hook.INGRESS, HANDLE, PRIORITY);
      }
    }
    uplinks.clear();
    if (loopback != 0) {
      Tc.detach(loopback, Tc.Hook.INGRESS, HANDLE, PRIORITY);
      loopback = 0;
    }
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

  /**
   * The endpoint is no longer desired: its interface, while it exists, gets not_ready in place of its
   * filters (never no filter).
   */
  private void detach(EndpointKey k) {
    Integer ifindex = attached.remove(k);
    failed.remove(k);
    String ifname = PodInterfaces.hostSide(k.getNamespace(), k.getName());
    if (ifindex != null && NetNs.ifIndex(ifname) == ifindex) {
      try {
        attach(ifindex, Tc.Hook.INGRESS, notReadyFromPod);
        attach(ifindex, Tc.Hook.EGRESS, notReadyToPod);
        guarded.put(ifname, ifindex);
      } catch (BpfException e) {
        // the interface went away meanwhile: nothing left to filter
        log.debug("node {}: putting not_ready on {}: {}", node, ifname, e.getMessage());
      }
    }
  }

  /** Removes the filters of an interface this instance guarded. */
  private void unguard(String ifname, int ifindex) {
    try {
      Tc.detach(ifindex, Tc.Hook.INGRESS, HANDLE, PRIORITY);
      Tc.detach(ifindex, Tc.Hook.EGRESS, HANDLE, PRIORITY);
    } catch (BpfException e) {
      log.debug("node {}: detaching from {}: {}", node, ifname, e.getMessage());
    }
  }
}
