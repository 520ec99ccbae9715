package io.hexgate.operator.endpoint.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import io.fabric8.crd.generator.annotation.AdditionalPrinterColumn;
import io.fabric8.crd.generator.annotation.AdditionalPrinterColumn.Type;
import io.fabric8.crd.generator.annotation.SchemaSwap;
import io.fabric8.kubernetes.api.model.Namespaced;
import io.fabric8.kubernetes.client.CustomResource;
import io.fabric8.kubernetes.model.annotation.Categories;
import io.fabric8.kubernetes.model.annotation.Group;
import io.fabric8.kubernetes.model.annotation.Kind;
import io.fabric8.kubernetes.model.annotation.Plural;
import io.fabric8.kubernetes.model.annotation.ShortNames;
import io.fabric8.kubernetes.model.annotation.Singular;
import io.fabric8.kubernetes.model.annotation.Version;
import io.hexgate.operator.crd.WithoutStatusSubresource;

/**
 * One per managed pod, same name and namespace, owned by the pod. The agent writes the whole object, status
 * included, in one request: as in Cilium there is no status subresource, which would drop it on create.
 */
@Group("cilium.io")
@Version("v2")
@Kind("CiliumEndpoint")
@Plural("ciliumendpoints")
@Singular("ciliumendpoint")
@ShortNames({"cep", "ciliumep"})
@Categories("cilium")
@AdditionalPrinterColumn(name = "Security Identity", jsonPath = ".status.identity.id", type = Type.INTEGER)
@AdditionalPrinterColumn(
    name = "Ingress Enforcement",
    jsonPath = ".status.policy.ingress.state",
    type = Type.STRING,
    priority = 1)
@AdditionalPrinterColumn(
    name = "Egress Enforcement",
    jsonPath = ".status.policy.egress.state",
    type = Type.STRING,
    priority = 1)
@AdditionalPrinterColumn(name = "Endpoint State", jsonPath = ".status.state", type = Type.STRING)
@AdditionalPrinterColumn(name = "IPv4", jsonPath = ".status.networking.addressing[0].ipv4", type = Type.STRING)
@AdditionalPrinterColumn(name = "IPv6", jsonPath = ".status.networking.addressing[0].ipv6", type = Type.STRING)
// A Void spec would otherwise appear in the schema as an empty object; Cilium's has no spec.
@SchemaSwap(originalType = CiliumEndpoint.class, fieldName = "spec", targetType = void.class)
@WithoutStatusSubresource
@JsonInclude(JsonInclude.Include.NON_NULL)
public class CiliumEndpoint extends CustomResource<Void, EndpointStatus> implements Namespaced {}
