package io.hexgate.lab.container;

import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.EnvFromSource;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.EnvVarSource;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A container's process as a kubelet works it out: the image's entrypoint and cmd unless the pod overrides
 * them, the image's environment, then the container's ({@code envFrom}, then {@code env} with
 * {@code valueFrom}: the downward API, ConfigMap and Secret keys), with {@code $(VAR)} references expanded in
 * env values, command and args.
 */
public record ContainerCommand(List<String> args, Map<String, String> env) {

  /** The addresses the downward API hands out besides the pod's own fields. */
  public record PodAddresses(String podIp, String hostIp) {}

  public static ContainerCommand resolve(
      ImageConfig image, Pod pod, Container c, PodAddresses addresses, Map<String, String> serviceEnv, KubernetesClient client) {
    Map<String, String> env = new LinkedHashMap<>();
    for (String kv : image.env()) {
      int eq = kv.indexOf('=');
      env.put(eq < 0 ? kv : kv.substring(0, eq), eq < 0 ? "" : kv.substring(eq + 1));
    }
    env.putAll(serviceEnv);
    String ns = pod.getMetadata().getNamespace();
    for (EnvFromSource from : c.getEnvFrom() == null ? List.<EnvFromSource>of() : c.getEnvFrom()) {
      String prefix = from.getPrefix() == null ? "" : from.getPrefix();
      if (from.getConfigMapRef() != null) {
        ConfigMap cm = client.configMaps().inNamespace(ns).withName(from.getConfigMapRef().getName()).get();
        if (cm == null && !Boolean.TRUE.equals(from.getConfigMapRef().getOptional())) {
          throw new IllegalStateException("configmap \"" + from.getConfigMapRef().getName() + "\" not found");
        }
        if (cm != null && cm.getData() != null) {
          cm.getData().forEach((k, v) -> env.put(prefix + k, v));
        }
      }
      if (from.getSecretRef() != null) {
        Secret s = client.secrets().inNamespace(ns).withName(from.getSecretRef().getName()).get();
        if (s == null && !Boolean.TRUE.equals(from.getSecretRef().getOptional())) {
          throw new IllegalStateException("secret \"" + from.getSecretRef().getName() + "\" not found");
        }
        if (s != null) {
          secretData(s).forEach((k, v) -> env.put(prefix + k, new String(v, StandardCharsets.UTF_8)));
        }
      }
    }
    for (EnvVar e : c.getEnv() == null ? List.<EnvVar>of() : c.getEnv()) {
      String value = e.getValueFrom() != null ? valueFrom(e.getValueFrom(), pod, addresses, client) : expand(e.getValue() == null ? "" : e.getValue(), env);
      if (value != null) {
        env.put(e.getName(), value);
      }
    }
    List<String> args = new ArrayList<>();
    boolean hasCommand = c.getCommand() != null && !c.getCommand().isEmpty();
    boolean hasArgs = c.getArgs() != null && !c.getArgs().isEmpty();
    if (hasCommand) {
      c.getCommand().forEach(a -> args.add(expand(a, env)));
    } else {
      args.addAll(image.entrypoint());
    }
    if (hasArgs) {
      c.getArgs().forEach(a -> args.add(expand(a, env)));
    } else if (!hasCommand) {
      args.addAll(image.cmd());
    }
    if (args.isEmpty()) {
      throw new IllegalStateException("no command specified: the image has no entrypoint or cmd and the container gives none");
    }
    return new ContainerCommand(List.copyOf(args), env);
  }

  private static String valueFrom(EnvVarSource from, Pod pod, PodAddresses addresses, KubernetesClient client) {
    String ns = pod.getMetadata().getNamespace();
    if (from.getFieldRef() != null) {
      String path = from.getFieldRef().getFieldPath();
      return switch (path) {
        case "status.podIP" -> addresses.podIp();
        case "status.hostIP" -> addresses.hostIp();
        default -> podField(pod, path);
      };
    }
    if (from.getConfigMapKeyRef() != null) {
      var ref = from.getConfigMapKeyRef();
      ConfigMap cm = client.configMaps().inNamespace(ns).withName(ref.getName()).get();
      String v = cm == null || cm.getData() == null ? null : cm.getData().get(ref.getKey());
      if (v == null && !Boolean.TRUE.equals(ref.getOptional())) {
        throw new IllegalStateException("couldn't find key " + ref.getKey() + " in ConfigMap " + ns + "/" + ref.getName());
      }
      return v;
    }
    if (from.getSecretKeyRef() != null) {
      var ref = from.getSecretKeyRef();
      Secret s = client.secrets().inNamespace(ns).withName(ref.getName()).get();
      byte[] v = s == null ? null : secretData(s).get(ref.getKey());
      if (v == null && !Boolean.TRUE.equals(ref.getOptional())) {
        throw new IllegalStateException("couldn't find key " + ref.getKey() + " in Secret " + ns + "/" + ref.getName());
      }
      return v == null ? null : new String(v, StandardCharsets.UTF_8);
    }
    throw new IllegalStateException("the lab supports env valueFrom fieldRef, configMapKeyRef and secretKeyRef only");
  }

  /** A field of the pod's own object, for the downward API (env and volumes). */
  static String podField(Pod pod, String path) {
    return switch (path) {
      case "metadata.name" -> pod.getMetadata().getName();
      case "metadata.namespace" -> pod.getMetadata().getNamespace();
      case "metadata.uid" -> pod.getMetadata().getUid();
      case "spec.nodeName" -> pod.getSpec().getNodeName();
      case "spec.serviceAccountName" -> serviceAccount(pod);
      default -> {
        var m = java.util.regex.Pattern.compile("metadata\\.(labels|annotations)\\['(.+)'\\]").matcher(path);
        if (!m.matches()) {
          throw new IllegalStateException("the lab does not support the field " + path + " of the downward API");
        }
        Map<String, String> map = m.group(1).equals("labels") ? pod.getMetadata().getLabels() : pod.getMetadata().getAnnotations();
        yield map == null ? "" : map.getOrDefault(m.group(2), "");
      }
    };
  }

  static String serviceAccount(Pod pod) {
    String sa = pod.getSpec().getServiceAccountName();
    return sa == null || sa.isEmpty() ? "default" : sa;
  }

  /** A Secret's values, decoded ({@code data}), with {@code stringData} as an API server without write merging leaves it. */
  static Map<String, byte[]> secretData(Secret s) {
    Map<String, byte[]> out = new LinkedHashMap<>();
    if (s.getData() != null) {
      s.getData().forEach((k, v) -> out.put(k, Base64.getDecoder().decode(v)));
    }
    if (s.getStringData() != null) {
      s.getStringData().forEach((k, v) -> out.put(k, v.getBytes(StandardCharsets.UTF_8)));
    }
    return out;
  }

  /**
   * The kubelet's expansion: {@code $(NAME)} becomes the variable's value when it is defined and stays as
   * written when not, {@code $$} is an escaped {@code $}.
   */
  static String expand(String s, Map<String, String> env) {
    StringBuilder out = new StringBuilder();
    int i = 0;
    while (i < s.length()) {
      char ch = s.charAt(i);
      if (ch == '$' && i + 1 < s.length()) {
        char next = s.charAt(i + 1);
        if (next == '$') {
          out.append('$');
          i += 2;
          continue;
        }
        if (next == '(') {
          int close = s.indexOf(')', i + 2);
          if (close > 0) {
            String name = s.substring(i + 2, close);
            String v = env.get(name);
            out.append(v != null ? v : s, v != null ? 0 : i, v != null ? v.length() : close + 1);
            i = close + 1;
            continue;
          }
        }
      }
      out.append(ch);
      i++;
    }
    return out.toString();
  }
}
