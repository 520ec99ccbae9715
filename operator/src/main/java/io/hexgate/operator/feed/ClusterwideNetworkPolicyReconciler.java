package io.hexgate.operator.feed;

import io.hexgate.operator.policy.PolicyRef;
import io.hexgate.operator.policy.RuleValidator;
import io.hexgate.operator.policy.api.CiliumClusterwideNetworkPolicy;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.api.reconciler.ControllerConfiguration;
import io.javaoperatorsdk.operator.api.reconciler.Reconciler;
import io.javaoperatorsdk.operator.api.reconciler.UpdateControl;

/** CiliumClusterwideNetworkPolicy objects into the engine; deletions arrive as reconciles too. */
@ControllerConfiguration(name = "ciliumclusterwidenetworkpolicies", triggerReconcilerOnAllEvents = true)
public final class ClusterwideNetworkPolicyReconciler implements Reconciler<CiliumClusterwideNetworkPolicy> {
  private final PolicyFeed feed;

  public ClusterwideNetworkPolicyReconciler(PolicyFeed feed) {
    this.feed = feed;
  }

  @Override
  public UpdateControl<CiliumClusterwideNetworkPolicy> reconcile(
      CiliumClusterwideNetworkPolicy p, Context<CiliumClusterwideNetworkPolicy> context) {
    PolicyRef ref = PolicyRef.ccnp(p.getMetadata().getName());
    if (context.isPrimaryResourceDeleted()) {
      feed.delete(ref);
    } else {
      feed.upsertCilium(
          ref,
          p.getMetadata().getGeneration(),
          p.getSpec(),
          p.getSpecs(),
          RuleValidator.validatePolicy(p.getSpec(), p.getSpecs(), true));
    }
    return UpdateControl.noUpdate();
  }
}
