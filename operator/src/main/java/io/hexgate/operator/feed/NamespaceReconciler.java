package io.hexgate.operator.feed;

import io.fabric8.kubernetes.api.model.Namespace;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.api.reconciler.ControllerConfiguration;
import io.javaoperatorsdk.operator.api.reconciler.Reconciler;
import io.javaoperatorsdk.operator.api.reconciler.UpdateControl;
import java.util.Map;

/**
 * Namespace labels into the engine; a change moves the namespace's pods to new identities. Label changes do
 * not bump a namespace's generation, hence no generation filter. A deleted namespace needs nothing: its
 * pods are deleted one by one.
 */
@ControllerConfiguration(name = "namespaces", generationAwareEventProcessing = false)
public final class NamespaceReconciler implements Reconciler<Namespace> {
  private final EngineWriter writer;

  public NamespaceReconciler(EngineWriter writer) {
    this.writer = writer;
  }

  @Override
  public UpdateControl<Namespace> reconcile(Namespace ns, Context<Namespace> context) {
    feed(writer, ns.getMetadata().getName(), ns.getMetadata().getLabels());
    return UpdateControl.noUpdate();
  }

  /** Sets a namespace's labels unless the engine has them already (no change, no listener call). */
  public static void feed(EngineWriter writer, String name, Map<String, String> labels) {
    Map<String, String> l = labels == null ? Map.of() : labels;
    boolean same =
        writer.read(
            engine -> {
              Map<String, String> withName = new java.util.HashMap<>(l);
              withName.putIfAbsent("kubernetes.io/metadata.name", name);
              return engine.namespaceLabels(name).equals(withName);
            });
    if (!same) {
      writer.apply(engine -> engine.upsertNamespace(name, l));
    }
  }
}
