package io.hexgate.lab.controlplane;

import io.fabric8.kubernetes.client.KubernetesClient;
import java.net.URI;
import java.nio.file.Path;

/**
 * The lab's Kubernetes API and the controllers behind it: the real control plane ({@link RealControlPlane})
 * or, where it cannot be built, the embedded fallback ({@link EmbeddedControlPlane}). What it hands out is
 * what each party of a cluster holds: the user's admin credentials, a node's own credentials for the lab's
 * kubelet part, and the operator's ServiceAccount.
 */
public interface ControlPlane extends AutoCloseable {
  /** The API server's address. */
  URI url();

  /** A client with the user's credentials (cluster-admin). */
  KubernetesClient admin();

  /** A client that acts as the node {@code name}, the way a kubelet does ({@code system:node:<name>}). */
  KubernetesClient node(String name);

  /**
   * A client for the operator: under its ServiceAccount with the RBAC of {@code config/rbac}, from a
   * token the API server issued, where the control plane authorizes; the admin client where it does not.
   */
  KubernetesClient operator();

  /** Writes the user's kubeconfig. */
  void writeKubeconfig(Path file);

  /** One line for the lab's banner: what runs, and of which release. */
  String describe();

  /** Whether this is the embedded fallback (no authentication, no authorization, home-made controllers). */
  boolean embedded();

  @Override
  void close();
}
