package io.hexgate.lab.controllers;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

/**
 * The embedded control plane's stand-in for kube-scheduler: binds each pod without a node to the node with
 * the fewest pods (ties to the first), and leaves a pod that names a node alone.
 */
final class Scheduler implements AutoCloseable {
  private final KubernetesClient client;
  private final ClusterInformers informers;
  private final Supplier<List<String>> nodes;
  private final Events events;
  private final ReconcileLoop loop;

  Scheduler(KubernetesClient client, ClusterInformers informers, Supplier<List<String>> nodes, Events events) {
    this.client = client;
    this.informers = informers;
    this.nodes = nodes;
    this.events = events;
    this.loop = new ReconcileLoop("scheduler", this::reconcile);
    informers.pods.addEventHandler(Handlers.onChange((o, n) -> {
      if (n != null && unscheduled(n)) {
        loop.enqueue(Keys.of(n));
      }
    }));
  }

  private static boolean unscheduled(Pod p) {
    return p.getSpec().getNodeName() == null || p.getSpec().getNodeName().isEmpty();
  }

  boolean idle() {
    return loop.idle();
  }

  private void reconcile(String key) {
    Pod pod = informers.pods.getStore().getByKey(key);
    if (pod == null || !unscheduled(pod) || pod.getMetadata().getDeletionTimestamp() != null) {
      return;
    }
    Map<String, Integer> load = new HashMap<>();
    for (Pod p : informers.pods.getStore().list()) {
      if (!unscheduled(p)) {
        load.merge(p.getSpec().getNodeName(), 1, Integer::sum);
      }
    }
    List<String> candidates = nodes.get();
    String node = candidates.stream().min(Comparator.comparing((String n) -> load.getOrDefault(n, 0))).orElse(null);
    if (node == null) {
      return;
    }
    client.pods().inNamespace(pod.getMetadata().getNamespace()).withName(pod.getMetadata().getName())
        .edit(p -> {
          p.getSpec().setNodeName(node);
          return p;
        });
    events.normal(pod, "Scheduled", "Successfully assigned " + key + " to " + node);
  }

  @Override
  public void close() {
    loop.close();
  }
}
