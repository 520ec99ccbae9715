package io.hexgate.operator.endpoint;

import io.fabric8.kubernetes.api.model.Namespace;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.hexgate.operator.endpoint.api.CiliumEndpoint;
import io.hexgate.operator.feed.EndpointView;
import io.hexgate.operator.feed.EngineWriter;
import io.hexgate.operator.feed.NamespaceReconciler;
import io.hexgate.operator.feed.PodEndpoints;
import io.hexgate.operator.node.NodeEnforcement;
import io.hexgate.operator.policy.Endpoint;
import io.javaoperatorsdk.operator.api.config.informer.Informer;
import io.javaoperatorsdk.operator.api.config.informer.InformerEventSourceConfiguration;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.api.reconciler.ControllerConfiguration;
import io.javaoperatorsdk.operator.api.reconciler.EventSourceContext;
import io.javaoperatorsdk.operator.api.reconciler.Reconciler;
import io.javaoperatorsdk.operator.api.reconciler.UpdateControl;
import io.javaoperatorsdk.operator.processing.event.ResourceID;
import io.javaoperatorsdk.operator.processing.event.source.EventSource;
import io.javaoperatorsdk.operator.processing.event.source.inbound.SimpleInboundEventSource;
import io.javaoperatorsdk.operator.processing.event.source.informer.InformerEventSource;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Pod to engine endpoint, then the pod's CiliumEndpoint from what the engine says about it:
 *
 * <ol>
 *   <li>the pod's namespace labels into the engine first (from the namespace cache), so the pod's first
 *       identity already carries them;
 *   <li>the endpoint into the engine, which allocates its identity;
 *   <li>the CiliumEndpoint written if it differs from the desired one.
 * </ol>
 *
 * Other pods' CiliumEndpoints change when a policy or namespace changes their enforcement or identity: the
 * engine writer names them and an inbound event source re-triggers their reconcile. So do the pods of a
 * node whose agent starts or stops saying its kernel enforces ({@link NodeEnforcement}). Label and status
 * changes of a pod do not bump its generation, hence no generation filter; deletions arrive as reconciles
 * (no finalizer on pods). The informer caches pods pruned to the fields read here ({@link PrunedPods}).
 */
@ControllerConfiguration(
    name = "pods",
    generationAwareEventProcessing = false,
    triggerReconcilerOnAllEvents = true,
    // a 10,000-pod cluster's pods, whole, would be most of the operator's heap
    informer = @Informer(itemStore = PrunedPods.class))
public final class PodReconciler implements Reconciler<Pod> {
  private static final Logger LOG = LoggerFactory.getLogger(PodReconciler.class);

  private final EngineWriter writer;
  private final KubernetesClient client;
  private final NodeEnforcement kernels;
  private final SimpleInboundEventSource<Pod> engineEvents = new SimpleInboundEventSource<>("engine-endpoints");
  private InformerEventSource<Namespace, Pod> namespaces;
  private InformerEventSource<CiliumEndpoint, Pod> endpoints;

  public PodReconciler(EngineWriter writer, KubernetesClient client) {
    this(writer, client, new NodeEnforcement());
  }

  public PodReconciler(EngineWriter writer, KubernetesClient client, NodeEnforcement kernels) {
    this.writer = writer;
    this.client = client;
    this.kernels = kernels;
    writer.onEndpointsChanged(
        keys -> keys.forEach(k -> engineEvents.propagateEvent(new ResourceID(k.name(), k.namespace()))));
    kernels.onChange(
        node -> writer.endpointsOn(node).forEach(k -> engineEvents.propagateEvent(new ResourceID(k.name(), k.namespace()))));
  }

  @Override
  public List<EventSource<?, Pod>> prepareEventSources(EventSourceContext<Pod> context) {
    // Namespaces only as a cache here: their label changes reach the engine through NamespaceReconciler.
    namespaces =
        new InformerEventSource<>(
            InformerEventSourceConfiguration.from(Namespace.class, Pod.class)
                .withName("pod-namespaces")
                .withSecondaryToPrimaryMapper(ns -> Set.of())
                .withPrimaryToSecondaryMapper(
                    (Pod p) -> Set.of(new ResourceID(p.getMetadata().getNamespace())))
                .build(),
            context);
    // A CiliumEndpoint changed by someone else is put back.
    endpoints =
        new InformerEventSource<>(
            InformerEventSourceConfiguration.from(CiliumEndpoint.class, Pod.class)
                .withName("pod-ciliumendpoints")
                .withSecondaryToPrimaryMapper(cep -> Set.of(ResourceID.fromResource(cep)))
                .withPrimaryToSecondaryMapper((Pod p) -> Set.of(ResourceID.fromResource(p)))
                .build(),
            context);
    return List.of(namespaces, endpoints, engineEvents);
  }

  @Override
  public UpdateControl<Pod> reconcile(Pod pod, Context<Pod> context) {
    Endpoint.Key key = PodEndpoints.key(pod);
    if (context.isPrimaryResourceDeleted() || !PodEndpoints.managed(pod)) {
      remove(key);
      return UpdateControl.noUpdate();
    }
    Endpoint endpoint = PodEndpoints.toEndpoint(pod);
    Optional<EndpointView> known = writer.view(key);
    // A known endpoint without identity had its allocation fail: feed it again to retry.
    if (known.isEmpty() || known.get().identity() == null || !known.get().endpoint().equals(endpoint)) {
      // The namespace first, as a change of its own: new labels move every pod of the namespace, on any node.
      namespaces
          .get(new ResourceID(key.namespace()))
          .ifPresent(ns -> NamespaceReconciler.feed(writer, key.namespace(), ns.getMetadata().getLabels()));
      writer.applyToEndpoint(key, engine -> engine.upsertEndpoint(endpoint));
    }
    Optional<EndpointView> view = writer.view(key);
    if (view.isPresent()) {
      write(pod, view.get());
    }
    return UpdateControl.noUpdate();
  }

  private void remove(Endpoint.Key key) {
    if (writer.view(key).isPresent()) {
      writer.applyToEndpoint(key, engine -> engine.deleteEndpoint(key));
    }
    // Kubernetes' garbage collector would do this through the owner reference; deleting here is quicker
    // and does not depend on it.
    if (endpoints.get(new ResourceID(key.name(), key.namespace())).isPresent()) {
      client.resources(CiliumEndpoint.class).inNamespace(key.namespace()).withName(key.name()).delete();
      LOG.info("CiliumEndpoint {} deleted", key);
    }
  }

  private void write(Pod pod, EndpointView view) {
    CiliumEndpoint desired =
        CiliumEndpoints.desired(pod, view, view.endpoint().node() != null && kernels.reportedNotEnforcing(view.endpoint().node()));
    ResourceID id = ResourceID.fromResource(pod);
    Optional<CiliumEndpoint> current = endpoints.get(id);
    var ceps = client.resources(CiliumEndpoint.class).inNamespace(pod.getMetadata().getNamespace());
    if (current.isEmpty()) {
      CiliumEndpoint created = ceps.resource(desired).create();
      endpoints.handleRecentResourceCreate(id, created);
      LOG.info("CiliumEndpoint {} created: identity {}", id, idOf(created));
      return;
    }
    if (CiliumEndpoints.upToDate(current.get(), desired, client.getKubernetesSerialization()::asJson)) {
      return;
    }
    // Optimistic locking on the cached version: a 409 fails this reconcile, which is retried.
    desired.getMetadata().setResourceVersion(current.get().getMetadata().getResourceVersion());
    CiliumEndpoint updated = ceps.resource(desired).update();
    endpoints.handleRecentResourceUpdate(id, updated, current.get());
    LOG.info("CiliumEndpoint {} updated: identity {}", id, idOf(updated));
  }

  private static Long idOf(CiliumEndpoint cep) {
    return cep.getStatus() == null || cep.getStatus().identity == null ? null : cep.getStatus().identity.id;
  }
}
