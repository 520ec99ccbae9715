package io.hexgate.lab.controlplane;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.ServiceAccount;
import io.fabric8.kubernetes.api.model.authentication.TokenRequest;
import io.fabric8.kubernetes.api.model.authentication.TokenRequestBuilder;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.OAuthTokenProvider;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.stream.Stream;

/**
 * The operator's identity in the lab, as an OLM install makes it: the ServiceAccount, Roles and bindings of
 * {@code config/rbac} applied unchanged, and clients that authenticate with tokens the API server
 * issues for that ServiceAccount (TokenRequest, as the kubelet does for a pod), asked for again before they
 * expire.
 */
public final class OperatorAccount implements AutoCloseable {
  /** The lifetime asked for; the API server's minimum is 10 minutes. */
  static final Duration TOKEN_LIFETIME = Duration.ofHours(1);

  private final KubernetesClient admin;
  private final URI server;
  private final String caPem;
  private final String namespace;
  private final String name;
  private final List<KubernetesClient> issued = new ArrayList<>();

  private OperatorAccount(KubernetesClient admin, URI server, String caPem, String namespace, String name) {
    this.admin = admin;
    this.server = server;
    this.caPem = caPem;
    this.namespace = namespace;
    this.name = name;
  }

  /** Applies the manifests in {@code bundleManifests} (creating the ServiceAccount's namespace first). */
  public static OperatorAccount install(KubernetesClient admin, Path bundleManifests, URI server, String caPem) throws IOException {
    List<HasMetadata> objects = new ArrayList<>();
    try (Stream<Path> files = Files.list(bundleManifests)) {
      for (Path f : files.filter(f -> f.toString().endsWith(".yaml")).sorted().toList()) {
        try (InputStream in = Files.newInputStream(f)) {
          objects.addAll(admin.load(in).items());
        }
      }
    }
    ServiceAccount sa = objects.stream().filter(ServiceAccount.class::isInstance).map(ServiceAccount.class::cast).findFirst()
        .orElseThrow(() -> new IllegalArgumentException(bundleManifests + " has no ServiceAccount for the operator"));
    String ns = sa.getMetadata().getNamespace();
    if (admin.namespaces().withName(ns).get() == null) {
      admin.resource(new NamespaceBuilder().withNewMetadata().withName(ns).endMetadata().build()).create();
    }
    for (HasMetadata o : objects) {
      admin.resource(o).create();
    }
    return new OperatorAccount(admin, server, caPem, ns, sa.getMetadata().getName());
  }

  /** A new client authenticating as the ServiceAccount, in its namespace. */
  public synchronized KubernetesClient client() {
    Config config =
        new ConfigBuilder(Config.empty())
            .withMasterUrl(server.toString())
            .withCaCertData(Base64.getEncoder().encodeToString(caPem.getBytes(StandardCharsets.US_ASCII)))
            .withNamespace(namespace)
            .build();
    config.setOauthTokenProvider(new RenewingToken());
    KubernetesClient c = new KubernetesClientBuilder().withConfig(config).build();
    issued.add(c);
    return c;
  }

  /** A token of the ServiceAccount, from the API server's TokenRequest API. */
  private TokenRequest requestToken() {
    return admin.serviceAccounts().inNamespace(namespace).withName(name)
        .tokenRequest(new TokenRequestBuilder().withNewSpec().withExpirationSeconds(TOKEN_LIFETIME.toSeconds()).endSpec().build());
  }

  @Override
  public synchronized void close() {
    issued.forEach(KubernetesClient::close);
    issued.clear();
  }

  /** Hands out the current token and asks for a new one when four fifths of its life have gone. */
  private final class RenewingToken implements OAuthTokenProvider {
    private String token;
    private Instant renewAt = Instant.MIN;

    @Override
    public synchronized String getToken() {
      Instant now = Instant.now();
      if (token == null || now.isAfter(renewAt)) {
        TokenRequest r = requestToken();
        token = r.getStatus().getToken();
        Instant expires = Instant.parse(r.getStatus().getExpirationTimestamp());
        renewAt = now.plus(Duration.between(now, expires).multipliedBy(4).dividedBy(5));
      }
      return token;
    }
  }
}
