package io.hexgate.operator.node;

import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.NodeAddress;
import io.fabric8.kubernetes.api.model.NodeStatus;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.javaoperatorsdk.operator.api.config.informer.Informer;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.api.reconciler.ControllerConfiguration;
import io.javaoperatorsdk.operator.api.reconciler.Reconciler;
import io.javaoperatorsdk.operator.api.reconciler.UpdateControl;
import io.javaoperatorsdk.operator.processing.event.source.informer.TransformingItemStore;
import java.util.ArrayList;
import java.util.List;

/**
 * Nodes' addresses into {@link NodeAddresses}; deletions arrive as reconciles too (no finalizer). The
 * informer keeps of each Node only its name, resourceVersion and addresses (images and conditions are
 * most of a Node).
 */
// every event counts: addresses live in status, which does not bump the generation
@ControllerConfiguration(
    name = "nodes",
    generationAwareEventProcessing = false,
    triggerReconcilerOnAllEvents = true,
    informer = @Informer(itemStore = NodeReconciler.PrunedNodes.class))
public final class NodeReconciler implements Reconciler<Node> {
  private final NodeAddresses addresses;

  public NodeReconciler(NodeAddresses addresses) {
    this.addresses = addresses;
  }

  @Override
  public UpdateControl<Node> reconcile(Node n, Context<Node> context) {
    if (context.isPrimaryResourceDeleted()) {
      addresses.delete(n.getMetadata().getName());
    } else {
      addresses.upsert(n);
    }
    return UpdateControl.noUpdate();
  }

  /** The Node informer's cache: name, uid, resourceVersion, deletion timestamp and addresses only. */
  public static final class PrunedNodes extends TransformingItemStore<Node> {
    public PrunedNodes() {
      super(PrunedNodes::prune);
    }

    static Node prune(Node n) {
      Node out = new Node();
      out.setApiVersion(n.getApiVersion());
      out.setKind(n.getKind());
      if (n.getMetadata() != null) {
        out.setMetadata(
            new ObjectMetaBuilder()
                .withName(n.getMetadata().getName())
                .withUid(n.getMetadata().getUid())
                .withResourceVersion(n.getMetadata().getResourceVersion())
                .withDeletionTimestamp(n.getMetadata().getDeletionTimestamp())
                .build());
      }
      if (n.getStatus() != null && n.getStatus().getAddresses() != null) {
        NodeStatus s = new NodeStatus();
        List<NodeAddress> addresses = new ArrayList<>();
        n.getStatus().getAddresses().forEach(a -> addresses.add(new NodeAddress(a.getAddress(), a.getType())));
        s.setAddresses(addresses);
        out.setStatus(s);
      }
      return out;
    }
  }
}
