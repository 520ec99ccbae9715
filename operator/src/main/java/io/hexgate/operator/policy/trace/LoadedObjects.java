package io.hexgate.operator.policy.trace;

import io.fabric8.kubernetes.api.model.Namespace;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy;
import io.hexgate.operator.policy.api.CiliumClusterwideNetworkPolicy;
import io.hexgate.operator.policy.api.CiliumNetworkPolicy;
import java.util.ArrayList;
import java.util.List;

/** The objects read from manifest files, each with where it came from. */
public final class LoadedObjects {
  public record Sourced<T>(T object, Manifest source) {}

  public final List<Sourced<Namespace>> namespaces = new ArrayList<>();
  public final List<Sourced<Pod>> pods = new ArrayList<>();
  /** Pods stood in for by a workload's pod template (Deployment, StatefulSet, ...), named after it. */
  public final List<Sourced<Pod>> templatePods = new ArrayList<>();
  public final List<Sourced<CiliumNetworkPolicy>> cnps = new ArrayList<>();
  public final List<Sourced<CiliumClusterwideNetworkPolicy>> ccnps = new ArrayList<>();
  public final List<Sourced<NetworkPolicy>> knps = new ArrayList<>();
  public final List<Manifest> ignored = new ArrayList<>();
}
