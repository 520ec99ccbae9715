package io.hexgate.operator.feed;

import io.hexgate.operator.policy.PolicyRef;
import io.hexgate.operator.policy.RuleValidator;
import io.hexgate.operator.policy.api.CiliumNetworkPolicy;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.api.reconciler.ControllerConfiguration;
import io.javaoperatorsdk.operator.api.reconciler.Reconciler;
import io.javaoperatorsdk.operator.api.reconciler.UpdateControl;

/** CiliumNetworkPolicy objects into the engine; deletions arrive as reconciles too (no finalizer). */
@ControllerConfiguration(name = "ciliumnetworkpolicies", triggerReconcilerOnAllEvents = true)
public final class CiliumNetworkPolicyReconciler implements Reconciler<CiliumNetworkPolicy> {
  private final PolicyFeed feed;

  public CiliumNetworkPolicyReconciler(PolicyFeed feed) {
    this.feed = feed;
  }

  @Override
  public UpdateControl<CiliumNetworkPolicy> reconcile(CiliumNetworkPolicy p, Context<CiliumNetworkPolicy> context) {
    PolicyRef ref = PolicyRef.cnp(p.getMetadata().getNamespace(), p.getMetadata().getName());
    if (context.isPrimaryResourceDeleted()) {
      feed.delete(ref);
    } else {
      feed.upsertCilium(
          ref,
          p.getMetadata().getGeneration(),
          p.getSpec(),
          p.getSpecs(),
          RuleValidator.validatePolicy(p.getSpec(), p.getSpecs(), false));
    }
    return UpdateControl.noUpdate();
  }
}
