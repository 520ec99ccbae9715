package io.hexgate.packaging;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * deploy/: what {@code kubectl apply -f deploy/} installs. hexgate.yaml holds, in the order one apply needs,
 * the namespace, the CRDs, the operator's account and RBAC, its Deployment and its Hubble relay's Service;
 * hexgateconfig.yaml, applied after it (file names sort so), the HexgateConfig the user may edit.
 */
final class PlainManifests {
  private PlainManifests() {}

  static List<ObjectNode> hexgate(Sources sources) {
    OperatorSettings settings = OperatorSettings.shipped();
    List<ObjectNode> objects = new ArrayList<>();
    Map<String, String> labels = new LinkedHashMap<>(Names.labels(null));
    // the agents need privileged pods (eBPF, host network): namespaces default to a stricter Pod Security level
    labels.put("pod-security.kubernetes.io/enforce", "privileged");
    objects.add(Yaml.header("v1", "Namespace", settings.namespace(), null, labels));
    sources.crds().forEach(c -> objects.add(c.labelled()));
    objects.addAll(OperatorRbac.objects(sources, settings.namespace()));
    objects.add(OperatorDeployment.object(settings));
    objects.add(OperatorDeployment.relayService(settings.namespace()));
    return objects;
  }

  static String documents(List<ObjectNode> objects) {
    StringBuilder out = new StringBuilder();
    for (ObjectNode o : objects) {
      out.append("---\n").append(Yaml.write(o));
    }
    return out.toString();
  }
}
