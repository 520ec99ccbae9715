package io.hexgate.operator.install.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import io.fabric8.crd.generator.annotation.AdditionalPrinterColumn;
import io.fabric8.crd.generator.annotation.AdditionalPrinterColumn.Type;
import io.fabric8.kubernetes.client.CustomResource;
import io.fabric8.kubernetes.model.annotation.Categories;
import io.fabric8.kubernetes.model.annotation.Group;
import io.fabric8.kubernetes.model.annotation.Kind;
import io.fabric8.kubernetes.model.annotation.Plural;
import io.fabric8.kubernetes.model.annotation.ShortNames;
import io.fabric8.kubernetes.model.annotation.Singular;
import io.fabric8.kubernetes.model.annotation.Version;

/**
 * How the operator deploys Hexgate's node agents on the cluster (cluster-scoped, conventionally one object
 * named {@code default}). The operator acts on the oldest one only; others get a condition saying so.
 */
@Group("hexgate.io")
@Version("v1alpha1")
@Kind("HexgateConfig")
@Plural("hexgateconfigs")
@Singular("hexgateconfig")
@ShortNames("hgc")
@Categories("hexgate")
@AdditionalPrinterColumn(name = "Desired", jsonPath = ".status.desiredAgents", type = Type.INTEGER)
@AdditionalPrinterColumn(name = "Ready", jsonPath = ".status.readyAgents", type = Type.INTEGER)
@AdditionalPrinterColumn(name = "Enforcing", jsonPath = ".status.enforcingAgents", type = Type.INTEGER)
@AdditionalPrinterColumn(
    name = "Available",
    jsonPath = ".status.conditions[?(@.type==\"Available\")].status",
    type = Type.STRING)
@AdditionalPrinterColumn(name = "Age", jsonPath = ".metadata.creationTimestamp", type = Type.DATE)
@JsonInclude(JsonInclude.Include.NON_NULL)
public class HexgateConfig extends CustomResource<HexgateConfigSpec, HexgateConfigStatus> {
  public static final String DEFAULT_NAME = "default";

  @Override
  protected HexgateConfigSpec initSpec() {
    return new HexgateConfigSpec();
  }

  /** The spec with every unset field at its default. */
  public HexgateConfigSpec effectiveSpec() {
    return getSpec() == null ? new HexgateConfigSpec() : getSpec();
  }
}
