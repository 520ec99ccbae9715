package io.hexgate.lab.controllers;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.ReplicaSet;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * The informers the lab's controllers share: one watch per kind for the whole lab. Handlers are added
 * before {@link #start()}, so every controller sees the initial list as additions.
 */
public final class ClusterInformers implements AutoCloseable {
  final SharedIndexInformer<Pod> pods;
  final SharedIndexInformer<Service> services;
  final SharedIndexInformer<Deployment> deployments;
  final SharedIndexInformer<ReplicaSet> replicaSets;
  final SharedIndexInformer<EndpointSlice> endpointSlices;

  public ClusterInformers(KubernetesClient client) {
    pods = client.pods().inAnyNamespace().runnableInformer(0);
    services = client.services().inAnyNamespace().runnableInformer(0);
    deployments = client.apps().deployments().inAnyNamespace().runnableInformer(0);
    replicaSets = client.apps().replicaSets().inAnyNamespace().runnableInformer(0);
    endpointSlices = client.discovery().v1().endpointSlices().inAnyNamespace().runnableInformer(0);
  }

  public SharedIndexInformer<Pod> pods() {
    return pods;
  }

  public SharedIndexInformer<Service> services() {
    return services;
  }

  public SharedIndexInformer<EndpointSlice> endpointSlices() {
    return endpointSlices;
  }

  private List<SharedIndexInformer<?>> all() {
    return List.of(pods, services, deployments, replicaSets, endpointSlices);
  }

  /** Starts every informer and waits until each has listed once. */
  public void start() throws Exception {
    CompletableFuture.allOf(all().stream().map(SharedIndexInformer::start).toArray(CompletableFuture[]::new))
        .get(30, TimeUnit.SECONDS);
  }

  @Override
  public void close() {
    all().forEach(SharedIndexInformer::close);
  }
}
