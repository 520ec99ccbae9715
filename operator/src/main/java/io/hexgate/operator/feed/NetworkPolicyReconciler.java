package io.hexgate.operator.feed;

import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy;
import io.hexgate.operator.policy.FieldError;
import io.hexgate.operator.policy.NetworkPolicyTranslator;
import io.hexgate.operator.policy.PolicyRef;
import io.hexgate.operator.policy.api.Rule;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.api.reconciler.ControllerConfiguration;
import io.javaoperatorsdk.operator.api.reconciler.Reconciler;
import io.javaoperatorsdk.operator.api.reconciler.UpdateControl;
import java.util.List;

/** Kubernetes NetworkPolicy objects, translated the way Cilium does, into the engine. */
@ControllerConfiguration(name = "networkpolicies", triggerReconcilerOnAllEvents = true)
public final class NetworkPolicyReconciler implements Reconciler<NetworkPolicy> {
  private final PolicyFeed feed;

  public NetworkPolicyReconciler(PolicyFeed feed) {
    this.feed = feed;
  }

  @Override
  public UpdateControl<NetworkPolicy> reconcile(NetworkPolicy np, Context<NetworkPolicy> context) {
    PolicyRef ref = PolicyRef.knp(np.getMetadata().getNamespace(), np.getMetadata().getName());
    if (context.isPrimaryResourceDeleted()) {
      feed.delete(ref);
      return UpdateControl.noUpdate();
    }
    List<FieldError> errors = NetworkPolicyTranslator.validate(np);
    List<Rule> rules = errors.isEmpty() ? NetworkPolicyTranslator.translate(np) : List.of();
    feed.upsert(ref, np.getMetadata().getGeneration(), rules, rules.stream().map(r -> "spec").toList(), errors);
    return UpdateControl.noUpdate();
  }
}
