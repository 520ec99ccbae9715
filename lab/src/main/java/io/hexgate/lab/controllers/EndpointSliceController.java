package io.hexgate.lab.controllers;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerPort;
import io.fabric8.kubernetes.api.model.EndpointAddress;
import io.fabric8.kubernetes.api.model.EndpointAddressBuilder;
import io.fabric8.kubernetes.api.model.EndpointSubset;
import io.fabric8.kubernetes.api.model.EndpointSubsetBuilder;
import io.fabric8.kubernetes.api.model.Endpoints;
import io.fabric8.kubernetes.api.model.EndpointsBuilder;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.ObjectReference;
import io.fabric8.kubernetes.api.model.ObjectReferenceBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServicePort;
import io.fabric8.kubernetes.api.model.discovery.v1.Endpoint;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointBuilder;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointPort;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointPortBuilder;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSliceBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Keeps the EndpointSlices (discovery.k8s.io/v1) of each Service with a selector equal to the pods it
 * selects, as the endpointslice controller does: one endpoint per selected pod that has an IP, with its
 * readiness in {@code conditions}, its node and a {@code targetRef}; ports resolved per pod (named target
 * ports through the pod's container ports), so pods whose ports resolve differently land in different
 * slices. Slices carry {@code kubernetes.io/service-name} and are owned by their Service. It also writes
 * the v1 Endpoints object that {@code kubectl describe service} (v1.32) reads.
 */
public final class EndpointSliceController implements AutoCloseable {
  public static final String SERVICE_NAME = "kubernetes.io/service-name";
  public static final String MANAGED_BY = "endpointslice.kubernetes.io/managed-by";
  public static final String CONTROLLER = "endpointslice-controller.k8s.io";

  private final KubernetesClient client;
  private final ClusterInformers informers;
  private final ReconcileLoop loop;

  public EndpointSliceController(KubernetesClient client, ClusterInformers informers) {
    this.client = client;
    this.informers = informers;
    this.loop = new ReconcileLoop("endpointslice", this::reconcile);
    informers.services.addEventHandler(Handlers.onChange((o, n) -> loop.enqueue(Keys.of(n != null ? n : o))));
    informers.pods.addEventHandler(
        Handlers.onChange(
            (o, n) -> {
              Pod any = n != null ? n : o;
              for (Service s : informers.services.getStore().list()) {
                if (s.getMetadata().getNamespace().equals(any.getMetadata().getNamespace())
                    && (o != null && selects(s, o) || n != null && selects(s, n))) {
                  loop.enqueue(Keys.of(s));
                }
              }
            }));
    informers.endpointSlices.addEventHandler(
        Handlers.onChange(
            (o, n) -> {
              EndpointSlice any = n != null ? n : o;
              Map<String, String> l = any.getMetadata().getLabels();
              if (l != null && CONTROLLER.equals(l.get(MANAGED_BY)) && l.get(SERVICE_NAME) != null) {
                loop.enqueue(Keys.of(any.getMetadata().getNamespace(), l.get(SERVICE_NAME)));
              }
            }));
  }

  public boolean idle() {
    return loop.idle();
  }

  static boolean selects(Service s, Pod p) {
    Map<String, String> selector = s.getSpec() == null ? null : s.getSpec().getSelector();
    if (selector == null || selector.isEmpty()) {
      return false;
    }
    Map<String, String> labels = p.getMetadata().getLabels();
    return labels != null && labels.entrySet().containsAll(selector.entrySet());
  }

  void reconcile(String key) {
    String ns = Keys.namespace(key);
    String name = Keys.name(key);
    Service svc = client.services().inNamespace(ns).withName(name).get();
    List<EndpointSlice> existing =
        new ArrayList<>(
            client.discovery().v1().endpointSlices().inNamespace(ns)
                .withLabel(SERVICE_NAME, name)
                .withLabel(MANAGED_BY, CONTROLLER)
                .list()
                .getItems());
    if (svc == null || Owners.deleting(svc) || svc.getSpec().getSelector() == null || svc.getSpec().getSelector().isEmpty()
        || "ExternalName".equals(svc.getSpec().getType())) {
      for (EndpointSlice s : existing) {
        client.resource(s).delete();
      }
      if (svc == null || Owners.deleting(svc)) {
        client.endpoints().inNamespace(ns).withName(name).delete();
      }
      return;
    }
    List<Pod> pods = new ArrayList<>();
    for (Pod p : client.pods().inNamespace(ns).withLabels(svc.getSpec().getSelector()).list().getItems()) {
      String phase = p.getStatus() == null ? null : p.getStatus().getPhase();
      if (p.getStatus() != null && p.getStatus().getPodIP() != null && !"Succeeded".equals(phase) && !"Failed".equals(phase)) {
        pods.add(p);
      }
    }
    pods.sort(Comparator.comparing(p -> p.getMetadata().getName()));
    boolean publishNotReady = Boolean.TRUE.equals(svc.getSpec().getPublishNotReadyAddresses());
    // endpoints grouped by the ports they resolve to, one slice per group
    Map<List<EndpointPort>, List<Endpoint>> groups = new LinkedHashMap<>();
    for (Pod p : pods) {
      groups.computeIfAbsent(ports(svc, p), k -> new ArrayList<>()).add(endpoint(p, publishNotReady));
    }
    if (groups.isEmpty()) {
      groups.put(List.of(), List.of()); // an empty slice says "no endpoints" rather than "not yet looked"
    }
    for (Map.Entry<List<EndpointPort>, List<Endpoint>> g : groups.entrySet()) {
      EndpointSlice reuse = takeMatching(existing, g.getKey());
      EndpointSlice desired = slice(svc, reuse, g.getKey(), g.getValue());
      if (reuse == null) {
        client.resource(desired).create();
      } else if (!Objects.equals(reuse.getEndpoints(), desired.getEndpoints())
          || !Objects.equals(reuse.getPorts(), desired.getPorts())
          || !Objects.equals(reuse.getMetadata().getLabels(), desired.getMetadata().getLabels())) {
        client.resource(desired).update();
      }
    }
    for (EndpointSlice stale : existing) {
      client.resource(stale).delete();
    }
    writeEndpoints(svc, pods, publishNotReady);
  }

  /** Removes and returns the existing slice with these ports, else any existing slice, else null. */
  private static EndpointSlice takeMatching(List<EndpointSlice> existing, List<EndpointPort> ports) {
    for (Iterator<EndpointSlice> it = existing.iterator(); it.hasNext(); ) {
      EndpointSlice s = it.next();
      if (Objects.equals(normalize(s.getPorts()), ports)) {
        it.remove();
        return s;
      }
    }
    return existing.isEmpty() ? null : existing.remove(0);
  }

  private static List<EndpointPort> normalize(List<EndpointPort> ports) {
    return ports == null ? List.of() : ports;
  }

  private static EndpointSlice slice(Service svc, EndpointSlice reuse, List<EndpointPort> ports, List<Endpoint> endpoints) {
    Map<String, String> labels = new HashMap<>();
    if (svc.getMetadata().getLabels() != null) {
      labels.putAll(svc.getMetadata().getLabels());
    }
    labels.put(SERVICE_NAME, svc.getMetadata().getName());
    labels.put(MANAGED_BY, CONTROLLER);
    EndpointSliceBuilder b = reuse == null ? new EndpointSliceBuilder() : new EndpointSliceBuilder(reuse);
    if (reuse == null) {
      b.withNewMetadata()
          .withName(svc.getMetadata().getName() + "-" + Names.randomSuffix(5))
          .withNamespace(svc.getMetadata().getNamespace())
          .withOwnerReferences(Owners.controllerReference(svc))
          .endMetadata();
    }
    return b.editMetadata().withLabels(labels).endMetadata()
        .withAddressType("IPv4")
        .withPorts(ports)
        .withEndpoints(endpoints)
        .build();
  }

  private static Endpoint endpoint(Pod p, boolean publishNotReady) {
    boolean terminating = p.getMetadata().getDeletionTimestamp() != null;
    boolean ready = PodConditions.ready(p);
    return new EndpointBuilder()
        .withAddresses(p.getStatus().getPodIP())
        .withNewConditions()
        .withReady(publishNotReady || ready && !terminating)
        .withServing(publishNotReady || ready)
        .withTerminating(terminating)
        .endConditions()
        .withNodeName(p.getSpec().getNodeName())
        .withTargetRef(podReference(p))
        .build();
  }

  private static ObjectReference podReference(Pod p) {
    return new ObjectReferenceBuilder()
        .withKind("Pod")
        .withNamespace(p.getMetadata().getNamespace())
        .withName(p.getMetadata().getName())
        .withUid(p.getMetadata().getUid())
        .build();
  }

  /** The service's ports as this pod serves them; a named target port the pod lacks is left out. */
  static List<EndpointPort> ports(Service svc, Pod pod) {
    List<EndpointPort> out = new ArrayList<>();
    for (ServicePort sp : svc.getSpec().getPorts() == null ? List.<ServicePort>of() : svc.getSpec().getPorts()) {
      Integer port = targetPort(sp, pod);
      if (port != null) {
        out.add(
            new EndpointPortBuilder()
                .withName(sp.getName() == null ? "" : sp.getName())
                .withProtocol(sp.getProtocol() == null ? "TCP" : sp.getProtocol())
                .withPort(port)
                .withAppProtocol(sp.getAppProtocol())
                .build());
      }
    }
    return out;
  }

  private static Integer targetPort(ServicePort sp, Pod pod) {
    IntOrString t = sp.getTargetPort();
    if (t == null || t.getIntVal() == null && t.getStrVal() == null) {
      return sp.getPort();
    }
    if (t.getIntVal() != null) {
      return t.getIntVal();
    }
    String wanted = t.getStrVal();
    try {
      return Integer.parseInt(wanted); // "8080" written as a string
    } catch (NumberFormatException notANumber) {
      // a port name: look it up below
    }
    String protocol = sp.getProtocol() == null ? "TCP" : sp.getProtocol();
    for (Container c : pod.getSpec().getContainers() == null ? List.<Container>of() : pod.getSpec().getContainers()) {
      for (ContainerPort cp : c.getPorts() == null ? List.<ContainerPort>of() : c.getPorts()) {
        if (wanted.equals(cp.getName()) && protocol.equals(cp.getProtocol() == null ? "TCP" : cp.getProtocol())) {
          return cp.getContainerPort();
        }
      }
    }
    return null;
  }

  private void writeEndpoints(Service svc, List<Pod> pods, boolean publishNotReady) {
    List<EndpointSubset> subsets = new ArrayList<>();
    Map<List<EndpointPort>, List<Pod>> byPorts = new LinkedHashMap<>();
    for (Pod p : pods) {
      if (p.getMetadata().getDeletionTimestamp() == null) {
        byPorts.computeIfAbsent(ports(svc, p), k -> new ArrayList<>()).add(p);
      }
    }
    for (Map.Entry<List<EndpointPort>, List<Pod>> g : byPorts.entrySet()) {
      List<EndpointAddress> ready = new ArrayList<>();
      List<EndpointAddress> notReady = new ArrayList<>();
      for (Pod p : g.getValue()) {
        EndpointAddress a =
            new EndpointAddressBuilder().withIp(p.getStatus().getPodIP()).withNodeName(p.getSpec().getNodeName()).withTargetRef(podReference(p)).build();
        (publishNotReady || PodConditions.ready(p) ? ready : notReady).add(a);
      }
      subsets.add(
          new EndpointSubsetBuilder()
              .withAddresses(ready.isEmpty() ? null : ready)
              .withNotReadyAddresses(notReady.isEmpty() ? null : notReady)
              .withPorts(
                  g.getKey().stream()
                      .map(p -> new io.fabric8.kubernetes.api.model.EndpointPortBuilder()
                          .withName(p.getName().isEmpty() ? null : p.getName())
                          .withPort(p.getPort())
                          .withProtocol(p.getProtocol())
                          .withAppProtocol(p.getAppProtocol())
                          .build())
                      .toList())
              .build());
    }
    Endpoints current = client.endpoints().inNamespace(svc.getMetadata().getNamespace()).withName(svc.getMetadata().getName()).get();
    Endpoints desired =
        new EndpointsBuilder(current == null ? new Endpoints() : current)
            .editOrNewMetadata()
            .withName(svc.getMetadata().getName())
            .withNamespace(svc.getMetadata().getNamespace())
            .withLabels(svc.getMetadata().getLabels())
            .withOwnerReferences(Owners.controllerReference(svc))
            .endMetadata()
            .withSubsets(subsets)
            .build();
    if (current == null) {
      client.resource(desired).create();
    } else if (!Objects.equals(current.getSubsets(), desired.getSubsets())) {
      client.resource(desired).update();
    }
  }

  @Override
  public void close() {
    loop.close();
  }
}
