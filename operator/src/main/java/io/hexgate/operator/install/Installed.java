package io.hexgate.operator.install;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.hexgate.operator.install.api.HexgateConfig;
import io.javaoperatorsdk.operator.api.config.informer.InformerConfiguration;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.processing.dependent.kubernetes.CRUDKubernetesDependentResource;
import io.javaoperatorsdk.operator.processing.dependent.kubernetes.KubernetesDependentResourceConfigBuilder;
import java.util.Set;
import java.util.function.Function;

/**
 * One object a HexgateConfig owns in the operator's namespace: created, and put back when it differs, as
 * {@code desired} says; owned through an owner reference, so Kubernetes deletes it with the HexgateConfig.
 * Watched in that namespace only, and only objects with Hexgate's agent labels (the operator's Role is
 * namespaced). Plain updates rather than server-side apply: fields the API server defaults are left alone
 * by the matcher.
 */
final class Installed<R extends HasMetadata> extends CRUDKubernetesDependentResource<R, HexgateConfig> {
  private final Function<HexgateConfig, R> desired;

  Installed(Class<R> type, String name, String namespace, Function<HexgateConfig, R> desired) {
    super(type, name);
    this.desired = desired;
    configureWith(
        new KubernetesDependentResourceConfigBuilder<R>()
            .withUseSSA(false)
            .withKubernetesDependentInformerConfig(
                InformerConfiguration.builder(type)
                    .withName(name)
                    .withNamespaces(Set.of(namespace))
                    .withLabelSelector("app.kubernetes.io/part-of=hexgate,app.kubernetes.io/component=agent")
                    .build())
            .build());
  }

  @Override
  protected R desired(HexgateConfig primary, Context<HexgateConfig> context) {
    return desired.apply(primary);
  }
}
