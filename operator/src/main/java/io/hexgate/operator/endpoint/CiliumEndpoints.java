package io.hexgate.operator.endpoint;

import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.OwnerReference;
import io.fabric8.kubernetes.api.model.OwnerReferenceBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.hexgate.operator.endpoint.api.CiliumEndpoint;
import io.hexgate.operator.endpoint.api.EndpointIdentity;
import io.hexgate.operator.endpoint.api.EndpointNetworking;
import io.hexgate.operator.endpoint.api.EndpointPolicy;
import io.hexgate.operator.endpoint.api.EndpointState;
import io.hexgate.operator.endpoint.api.EndpointStatus;
import io.hexgate.operator.endpoint.api.ExternalIdentifiers;
import io.hexgate.operator.endpoint.api.NamedPort;
import io.hexgate.operator.feed.EndpointView;
import io.hexgate.operator.identity.Label;
import io.hexgate.operator.policy.Endpoint;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;

/** The CiliumEndpoint a pod should have, and whether an existing one differs from it. */
public final class CiliumEndpoints {
  private CiliumEndpoints() {}

  /**
   * State: {@code waiting-for-identity} until the engine gave the pod an identity, {@code not-ready} while
   * the pod has no IP, else {@code ready}. (The node agents will refine this once they report endpoints.)
   */
  public static CiliumEndpoint desired(Pod pod, EndpointView view) {
    return desired(pod, view, false);
  }

  /**
   * @param nodeNotEnforcing the pod's node said its kernel does not enforce (the Java datapath, a failed
   *     load): neither direction is enforcing then, whatever the policy says
   */
  public static CiliumEndpoint desired(Pod pod, EndpointView view, boolean nodeNotEnforcing) {
    CiliumEndpoint cep = new CiliumEndpoint();
    Map<String, String> labels = pod.getMetadata().getLabels();
    cep.setMetadata(
        new ObjectMetaBuilder()
            .withName(pod.getMetadata().getName())
            .withNamespace(pod.getMetadata().getNamespace())
            .withLabels(labels == null ? Map.of() : new HashMap<>(labels))
            .withOwnerReferences(owner(pod))
            .build());
    Endpoint e = view.endpoint();
    EndpointStatus s = new EndpointStatus();
    ExternalIdentifiers ids = new ExternalIdentifiers();
    ids.k8sNamespace = e.namespace();
    ids.k8sPodName = e.name();
    ids.podName = e.namespace() + "/" + e.name();
    s.externalIdentifiers = ids;
    if (view.identity() != null) {
      s.identity =
          new EndpointIdentity(
              view.identity().id(), view.identity().labels().asList().stream().map(Label::toString).toList());
    }
    EndpointNetworking net = new EndpointNetworking();
    net.addressing = e.ip() == null ? null : List.of(new EndpointNetworking.AddressPair(e.ip(), null));
    net.node = e.node();
    s.networking = net;
    s.namedPorts =
        e.namedPorts().isEmpty()
            ? null
            : e.namedPorts().stream()
                .map(np -> new NamedPort(np.name(), np.port(), np.protocol().name().toUpperCase(Locale.ROOT)))
                .toList();
    s.state =
        view.identity() == null
            ? EndpointState.WAITING_FOR_IDENTITY
            : e.ip() == null ? EndpointState.NOT_READY : EndpointState.READY;
    s.serviceAccount = e.serviceAccount();
    EndpointPolicy policy = new EndpointPolicy();
    policy.ingress = direction(view.ingressEnforcing() && !nodeNotEnforcing);
    policy.egress = direction(view.egressEnforcing() && !nodeNotEnforcing);
    s.policy = policy;
    cep.setStatus(s);
    return cep;
  }

  private static EndpointPolicy.Direction direction(boolean enforcing) {
    EndpointPolicy.Direction d = new EndpointPolicy.Direction();
    d.enforcing = enforcing;
    d.state = enforcing ? "enforcing" : "non-enforcing";
    return d;
  }

  static OwnerReference owner(Pod pod) {
    return new OwnerReferenceBuilder()
        .withApiVersion("v1")
        .withKind("Pod")
        .withName(pod.getMetadata().getName())
        .withUid(pod.getMetadata().getUid())
        .build();
  }

  /** Whether {@code current} already carries what {@code desired} says (labels, owner, status). */
  public static boolean upToDate(CiliumEndpoint current, CiliumEndpoint desired, java.util.function.Function<Object, String> json) {
    return Objects.equals(labels(current), labels(desired))
        && Objects.equals(current.getMetadata().getOwnerReferences(), desired.getMetadata().getOwnerReferences())
        && json.apply(current.getStatus()).equals(json.apply(desired.getStatus()));
  }

  private static Map<String, String> labels(CiliumEndpoint c) {
    Map<String, String> l = c.getMetadata().getLabels();
    return l == null ? Map.of() : l;
  }
}
