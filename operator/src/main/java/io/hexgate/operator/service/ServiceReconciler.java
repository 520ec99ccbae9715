package io.hexgate.operator.service;

import io.fabric8.kubernetes.api.model.Service;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.api.reconciler.ControllerConfiguration;
import io.javaoperatorsdk.operator.api.reconciler.Reconciler;
import io.javaoperatorsdk.operator.api.reconciler.UpdateControl;

/** Services into the {@link ServiceTable}; deletions arrive as reconciles too (no finalizer). */
// every event counts: a relabelled slice or an edited status does not bump the generation
@ControllerConfiguration(name = "services", generationAwareEventProcessing = false, triggerReconcilerOnAllEvents = true)
public final class ServiceReconciler implements Reconciler<Service> {
  private final ServiceTable table;

  public ServiceReconciler(ServiceTable table) {
    this.table = table;
  }

  @Override
  public UpdateControl<Service> reconcile(Service s, Context<Service> context) {
    if (context.isPrimaryResourceDeleted()) {
      table.deleteService(s.getMetadata().getNamespace(), s.getMetadata().getName());
    } else {
      table.upsertService(s);
    }
    return UpdateControl.noUpdate();
  }
}
