package io.hexgate.packaging;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.List;

/**
 * The operator's identity and rights, as deploy/ and the chart ship them: its ServiceAccount, the ClusterRole
 * and the Role with the rules of config/rbac, and their bindings. (OLM makes the same from the CSV's
 * permissions and clusterPermissions.)
 */
final class OperatorRbac {
  private OperatorRbac() {}

  private static final String RBAC = "rbac.authorization.k8s.io/v1";

  /** In the order a single apply needs: the account before what binds it. */
  static List<ObjectNode> objects(Sources sources, String namespace) {
    ObjectNode account = Yaml.header("v1", "ServiceAccount", Names.OPERATOR, namespace, Names.labels("operator"));
    ObjectNode clusterRole = role("ClusterRole", null, sources.clusterRules());
    ObjectNode role = role("Role", namespace, sources.namespacedRules());
    return List.of(account, clusterRole, binding("ClusterRoleBinding", null, namespace), role, binding("RoleBinding", namespace, namespace));
  }

  private static ObjectNode role(String kind, String namespace, ArrayNode rules) {
    ObjectNode r = Yaml.header(RBAC, kind, Names.OPERATOR, namespace, Names.labels("operator"));
    r.set("rules", rules.deepCopy());
    return r;
  }

  private static ObjectNode binding(String kind, String namespace, String accountNamespace) {
    ObjectNode b = Yaml.header(RBAC, kind, Names.OPERATOR, namespace, Names.labels("operator"));
    b.putObject("roleRef")
        .put("apiGroup", "rbac.authorization.k8s.io")
        .put("kind", kind.replace("Binding", ""))
        .put("name", Names.OPERATOR);
    b.putArray("subjects").addObject().put("kind", "ServiceAccount").put("name", Names.OPERATOR).put("namespace", accountNamespace);
    return b;
  }
}
