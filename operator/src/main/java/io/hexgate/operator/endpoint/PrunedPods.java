package io.hexgate.operator.endpoint;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerBuilder;
import io.fabric8.kubernetes.api.model.ContainerPort;
import io.fabric8.kubernetes.api.model.ContainerPortBuilder;
import io.fabric8.kubernetes.api.model.ObjectMeta;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.OwnerReference;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.PodStatus;
import io.hexgate.operator.feed.PodWorkloads;
import io.javaoperatorsdk.operator.processing.event.source.informer.TransformingItemStore;
import java.util.ArrayList;
import java.util.List;

/**
 * The Pod informer's cache, keeping of each pod only what the operator reads: name, namespace, uid,
 * resourceVersion, generation, labels, deletion timestamp, generated name and controller owner reference
 * (the pod's workload); node, service account, host network and the containers' named ports; pod IP and
 * phase. Dropped: other owner references, managed fields, annotations (kubectl's
 * last-applied copy of the whole pod among them), volumes, env, images, resources, probes, conditions and
 * container statuses, which are most of a pod's size. Reconciles read pods from this cache.
 */
public final class PrunedPods extends TransformingItemStore<Pod> {
  public PrunedPods() {
    super(PrunedPods::prune);
  }

  /** A new Pod with only the fields the operator reads (see the class comment). */
  public static Pod prune(Pod p) {
    Pod out = new Pod();
    out.setApiVersion(p.getApiVersion());
    out.setKind(p.getKind());
    ObjectMeta m = p.getMetadata();
    if (m != null) {
      OwnerReference controller = PodWorkloads.controller(m);
      out.setMetadata(
          new ObjectMetaBuilder()
              .withName(m.getName())
              .withNamespace(m.getNamespace())
              .withUid(m.getUid())
              .withResourceVersion(m.getResourceVersion())
              .withGeneration(m.getGeneration())
              .withLabels(m.getLabels())
              .withDeletionTimestamp(m.getDeletionTimestamp())
              .withGenerateName(m.getGenerateName())
              .withOwnerReferences(controller == null ? List.of() : List.of(controller))
              .build());
    }
    PodSpec s = p.getSpec();
    if (s != null) {
      PodSpec spec = new PodSpec();
      spec.setNodeName(s.getNodeName());
      spec.setServiceAccountName(s.getServiceAccountName());
      spec.setHostNetwork(s.getHostNetwork());
      List<Container> containers = new ArrayList<>();
      for (Container c : s.getContainers() == null ? List.<Container>of() : s.getContainers()) {
        List<ContainerPort> ports = new ArrayList<>();
        for (ContainerPort cp : c.getPorts() == null ? List.<ContainerPort>of() : c.getPorts()) {
          if (cp.getName() != null) { // only named ports are ever read
            ports.add(
                new ContainerPortBuilder()
                    .withName(cp.getName())
                    .withContainerPort(cp.getContainerPort())
                    .withProtocol(cp.getProtocol())
                    .build());
          }
        }
        containers.add(new ContainerBuilder().withName(c.getName()).withPorts(ports).build());
      }
      spec.setContainers(containers);
      out.setSpec(spec);
    }
    PodStatus st = p.getStatus();
    if (st != null) {
      PodStatus status = new PodStatus();
      status.setPodIP(st.getPodIP());
      status.setPhase(st.getPhase());
      out.setStatus(status);
    }
    return out;
  }
}
