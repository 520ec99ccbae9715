package io.hexgate.operator.identity.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import io.fabric8.crd.generator.annotation.AdditionalPrinterColumn;
import io.fabric8.crd.generator.annotation.AdditionalPrinterColumn.Type;
import io.fabric8.crd.generator.annotation.SchemaSwap;
import io.fabric8.generator.annotation.Required;
import io.fabric8.kubernetes.client.CustomResource;
import io.fabric8.kubernetes.model.annotation.Categories;
import io.fabric8.kubernetes.model.annotation.Group;
import io.fabric8.kubernetes.model.annotation.Kind;
import io.fabric8.kubernetes.model.annotation.Plural;
import io.fabric8.kubernetes.model.annotation.ShortNames;
import io.fabric8.kubernetes.model.annotation.Singular;
import io.fabric8.kubernetes.model.annotation.Version;
import java.util.Map;

/**
 * A numeric security identity: {@code metadata.name} is the number, {@code metadata.labels} holds only the
 * pod namespace, and {@code security-labels} ({@code source:key} to value) is what defines it.
 */
@Group("cilium.io")
@Version("v2")
@Kind("CiliumIdentity")
@Plural("ciliumidentities")
@Singular("ciliumidentity")
@ShortNames("ciliumid")
@Categories("cilium")
@AdditionalPrinterColumn(
    name = "Namespace",
    jsonPath = ".metadata.labels.io\\.kubernetes\\.pod\\.namespace",
    type = Type.STRING)
@AdditionalPrinterColumn(name = "Age", jsonPath = ".metadata.creationTimestamp", type = Type.DATE)
// Cilium's schema has neither spec nor status, yet declares the status subresource. The generator emits the
// subresource only for a non-Void status type, so NoStatus stands in for one; the swaps keep both out of the
// schema (a Void spec would otherwise appear as an empty object).
@SchemaSwap(originalType = CiliumIdentity.class, fieldName = "spec", targetType = void.class)
@SchemaSwap(originalType = CiliumIdentity.class, fieldName = "status", targetType = void.class)
@JsonInclude(JsonInclude.Include.NON_NULL)
public class CiliumIdentity extends CustomResource<Void, CiliumIdentity.NoStatus> {
  @Required
  @JsonProperty("security-labels")
  public Map<String, String> securityLabels;

  public static final class NoStatus {}
}
