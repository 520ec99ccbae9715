package io.hexgate.lab.controllers;

import io.fabric8.kubernetes.client.KubernetesClient;
import java.time.Clock;
import java.util.List;
import java.util.function.Supplier;

/**
 * The embedded control plane's controllers (deployments, replica sets, endpoint slices, ClusterIPs, garbage
 * collection) and its scheduler, on informers shared among them. The real control plane has
 * kube-controller-manager and kube-scheduler instead.
 */
public final class LabControllers implements AutoCloseable {
  private final ClusterInformers informers;
  private final DeploymentController deployments;
  private final ReplicaSetController replicaSets;
  private final EndpointSliceController endpointSlices;
  private final ServiceIpController serviceIps;
  private final GarbageCollector garbage;
  private final Scheduler scheduler;

  public LabControllers(
      KubernetesClient client, ClusterInformers informers, ClusterIpAllocator allocator, Supplier<List<String>> nodes, Events events, Clock clock) {
    this.informers = informers;
    this.deployments = new DeploymentController(client, informers, clock);
    this.replicaSets = new ReplicaSetController(client, informers);
    this.endpointSlices = new EndpointSliceController(client, informers);
    this.serviceIps = new ServiceIpController(client, informers, allocator, events);
    this.garbage = new GarbageCollector(client, informers);
    this.scheduler = new Scheduler(client, informers, nodes, events);
  }

  /** Starts the garbage collector's sweeps; the others start with the informers' first events. */
  public void start() {
    garbage.start();
  }

  /** True when no controller has work queued: the cluster has settled for now. */
  public boolean idle() {
    return deployments.idle() && replicaSets.idle() && endpointSlices.idle() && serviceIps.idle() && garbage.idle() && scheduler.idle();
  }

  @Override
  public void close() {
    for (AutoCloseable c : List.<AutoCloseable>of(scheduler, deployments, replicaSets, endpointSlices, serviceIps, garbage)) {
      try {
        c.close();
      } catch (Exception e) {
        // closing loops cannot fail in a way worth reporting at shutdown
      }
    }
  }

  ClusterInformers informers() {
    return informers;
  }
}
