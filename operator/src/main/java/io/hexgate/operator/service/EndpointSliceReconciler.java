package io.hexgate.operator.service;

import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.api.reconciler.ControllerConfiguration;
import io.javaoperatorsdk.operator.api.reconciler.Reconciler;
import io.javaoperatorsdk.operator.api.reconciler.UpdateControl;

/** discovery.k8s.io/v1 EndpointSlices into the {@link ServiceTable}, as backends of their Service. */
// every event counts: a relabelled slice does not bump the generation
@ControllerConfiguration(name = "endpointslices", generationAwareEventProcessing = false, triggerReconcilerOnAllEvents = true)
public final class EndpointSliceReconciler implements Reconciler<EndpointSlice> {
  private final ServiceTable table;

  public EndpointSliceReconciler(ServiceTable table) {
    this.table = table;
  }

  @Override
  public UpdateControl<EndpointSlice> reconcile(EndpointSlice s, Context<EndpointSlice> context) {
    if (context.isPrimaryResourceDeleted()) {
      table.deleteSlice(s.getMetadata().getNamespace(), s.getMetadata().getName());
    } else {
      table.upsertSlice(s);
    }
    return UpdateControl.noUpdate();
  }
}
