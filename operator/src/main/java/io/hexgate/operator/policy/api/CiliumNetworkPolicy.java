package io.hexgate.operator.policy.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import io.fabric8.crd.generator.annotation.AdditionalPrinterColumn;
import io.fabric8.crd.generator.annotation.AdditionalPrinterColumn.Type;
import io.fabric8.generator.annotation.ValidationRule;
import io.fabric8.kubernetes.api.model.Namespaced;
import io.fabric8.kubernetes.client.CustomResource;
import io.fabric8.kubernetes.model.annotation.Categories;
import io.fabric8.kubernetes.model.annotation.Group;
import io.fabric8.kubernetes.model.annotation.Kind;
import io.fabric8.kubernetes.model.annotation.Plural;
import io.fabric8.kubernetes.model.annotation.ShortNames;
import io.fabric8.kubernetes.model.annotation.Singular;
import io.fabric8.kubernetes.model.annotation.Version;
import java.util.List;

@Group("cilium.io")
@Version("v2")
@Kind("CiliumNetworkPolicy")
@Plural("ciliumnetworkpolicies")
@Singular("ciliumnetworkpolicy")
@ShortNames({"cnp", "ciliumnp"})
@Categories({"cilium", "ciliumpolicy"})
@AdditionalPrinterColumn(
    name = "Valid",
    jsonPath = ".status.conditions[?(@.type=='Valid')].status",
    type = Type.STRING)
@AdditionalPrinterColumn(name = "Enforcing", jsonPath = ".status.enforcement.nodes", type = Type.STRING)
@AdditionalPrinterColumn(name = "Age", jsonPath = ".metadata.creationTimestamp", type = Type.DATE)
@ValidationRule(value = "has(self.spec) || has(self.specs)", message = "spec or specs must be provided")
@JsonInclude(JsonInclude.Include.NON_NULL)
public class CiliumNetworkPolicy extends CustomResource<Rule, PolicyStatus> implements Namespaced {
  public List<Rule> specs;

  public List<Rule> getSpecs() {
    return specs;
  }

  public void setSpecs(List<Rule> specs) {
    this.specs = specs;
  }
}
