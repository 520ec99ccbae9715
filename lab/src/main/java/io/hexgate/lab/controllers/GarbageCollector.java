package io.hexgate.lab.controllers;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.OwnerReference;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Deletes ReplicaSets, Pods and EndpointSlices whose controller (a Deployment, ReplicaSet or Service) is
 * gone, as the garbage collector does for background cascading deletion: {@code kubectl delete deployment}
 * takes its ReplicaSets and pods with it. It sweeps when an owner is deleted and every 30 seconds.
 */
public final class GarbageCollector implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(GarbageCollector.class);
  private static final String SWEEP = "sweep";
  private static final Set<String> OWNER_KINDS = Set.of("Deployment", "ReplicaSet", "Service");
  private static final Duration PERIOD = Duration.ofSeconds(30);

  private final KubernetesClient client;
  private final ReconcileLoop loop;

  public GarbageCollector(KubernetesClient client, ClusterInformers informers) {
    this.client = client;
    this.loop = new ReconcileLoop("garbage-collector", key -> sweep());
    informers.deployments.addEventHandler(Handlers.onChange((o, n) -> onOwnerChange(n)));
    informers.replicaSets.addEventHandler(Handlers.onChange((o, n) -> onOwnerChange(n)));
    informers.services.addEventHandler(Handlers.onChange((o, n) -> onOwnerChange(n)));
  }

  private void onOwnerChange(HasMetadata now) {
    if (now == null || Owners.deleting(now)) {
      loop.enqueue(SWEEP);
    }
  }

  public void start() {
    loop.enqueueEvery(SWEEP, PERIOD);
  }

  public boolean idle() {
    return loop.idle();
  }

  private void sweep() {
    // dependents first: a dependent listed here was made after its owner, so a live owner is in the
    // owner list read afterwards
    List<HasMetadata> dependents = new ArrayList<>();
    dependents.addAll(client.apps().replicaSets().inAnyNamespace().list().getItems());
    dependents.addAll(client.pods().inAnyNamespace().list().getItems());
    dependents.addAll(client.discovery().v1().endpointSlices().inAnyNamespace().list().getItems());
    Set<String> owners = new HashSet<>();
    client.apps().deployments().inAnyNamespace().list().getItems().forEach(o -> live(owners, o));
    client.apps().replicaSets().inAnyNamespace().list().getItems().forEach(o -> live(owners, o));
    client.services().inAnyNamespace().list().getItems().forEach(o -> live(owners, o));
    for (HasMetadata d : dependents) {
      OwnerReference ref = Owners.controllerOf(d).orElse(null);
      if (ref != null && OWNER_KINDS.contains(ref.getKind()) && !owners.contains(ref.getUid())) {
        log.debug("garbage collector: deleting {} {} (its {} {} is gone)", d.getKind(), Keys.of(d), ref.getKind(), ref.getName());
        client.resource(d).delete();
      }
    }
  }

  private static void live(Set<String> owners, HasMetadata o) {
    if (!Owners.deleting(o)) {
      owners.add(o.getMetadata().getUid());
    }
  }

  @Override
  public void close() {
    loop.close();
  }
}
