package io.hexgate.operator.tls;

import io.fabric8.kubernetes.api.model.OwnerReference;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import java.math.BigInteger;
import java.net.HttpURLConnection;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps the CA in a Kubernetes Secret of type {@code kubernetes.io/tls} ({@code tls.crt}, {@code tls.key}):
 * reused when present, created when absent. Two replicas starting together both try to create it; the
 * loser of the race adopts the winner's CA, so every certificate chains to one CA. The same Secret holds
 * the agents' deny list under {@value RevocationList#KEY} (see {@link RevocationList}).
 */
public final class CaSecretStore {
  public static final String DEFAULT_NAME = "hexgate-ca";
  private static final Logger log = LoggerFactory.getLogger(CaSecretStore.class);

  private final KubernetesClient client;
  private final String namespace;
  private final String name;
  private final Clock clock;
  private final OwnerReference owner;

  public CaSecretStore(KubernetesClient client, String namespace, String name, Clock clock) {
    this(client, namespace, name, clock, null);
  }

  /** @param owner of the Secret it creates (null: none), which Kubernetes deletes it with */
  public CaSecretStore(KubernetesClient client, String namespace, String name, Clock clock, OwnerReference owner) {
    this.client = client;
    this.namespace = namespace;
    this.name = name;
    this.clock = clock;
    this.owner = owner;
  }

  /** The CA in the Secret, if the Secret exists; never creates one (for issuing outside the operator). */
  public Optional<CertificateAuthority> load() {
    Secret existing = client.secrets().inNamespace(namespace).withName(name).get();
    return existing == null ? Optional.empty() : Optional.of(read(existing));
  }

  public CertificateAuthority loadOrCreate() {
    Secret existing = client.secrets().inNamespace(namespace).withName(name).get();
    if (existing != null) {
      log.info("using the CA in Secret({}/{})", namespace, name);
      return read(existing);
    }
    CertificateAuthority ca = CertificateAuthority.create("hexgate-ca", clock);
    Secret secret =
        new SecretBuilder()
            .withNewMetadata()
            .withName(name)
            .withNamespace(namespace)
            .withLabels(Map.of("app.kubernetes.io/part-of", "hexgate", "app.kubernetes.io/component", "ca"))
            .withOwnerReferences(owner == null ? List.of() : List.of(owner))
            .endMetadata()
            .withType("kubernetes.io/tls")
            .withData(
                Map.of(
                    IssuedCertificate.CERT_FILE, base64(Pem.certificate(ca.certificate())),
                    IssuedCertificate.KEY_FILE, base64(Pem.privateKey(ca.key()))))
            .build();
    try {
      client.secrets().inNamespace(namespace).resource(secret).create();
      log.info("created a CA in Secret({}/{})", namespace, name);
      return ca;
    } catch (KubernetesClientException e) {
      if (e.getCode() != HttpURLConnection.HTTP_CONFLICT) {
        throw e;
      }
      log.info("Secret({}/{}) was created meanwhile by another replica: adopting its CA", namespace, name);
      return read(client.secrets().inNamespace(namespace).withName(name).require());
    }
  }

  /**
   * Keeps {@code target} up to date with the Secret's deny list; the Secret as it is now is read before
   * this returns. A Secret without the key revokes nothing; a deleted Secret leaves the last list in force.
   */
  public AutoCloseable watchRevocations(RevokedCertificates target) {
    String source = "Secret(" + namespace + "/" + name + ") data." + RevocationList.KEY;
    SharedIndexInformer<Secret> informer =
        client.secrets().inNamespace(namespace).withName(name).inform(
            new ResourceEventHandler<>() {
              @Override
              public void onAdd(Secret s) {
                target.update(revokedText(s), source);
              }

              @Override
              public void onUpdate(Secret old, Secret s) {
                target.update(revokedText(s), source);
              }

              @Override
              public void onDelete(Secret s, boolean unknownFinalState) {
                log.warn("Secret({}/{}) was deleted: the revocations in force stay until it is back", namespace, name);
              }
            });
    return informer::close;
  }

  /**
   * Adds {@code serial} (issued to {@code node}) to the Secret's deny list; a concurrent writer makes it
   * read and try again. Returns false if it was listed already.
   */
  public boolean revoke(BigInteger serial, String node, String note) {
    for (int attempt = 1; ; attempt++) {
      Secret s = client.secrets().inNamespace(namespace).withName(name).get();
      if (s == null) {
        throw new IllegalStateException("no Secret " + namespace + "/" + name);
      }
      String before = revokedText(s);
      String after = RevocationList.append(before, serial, node, note);
      if (after.equals(before)) {
        return false;
      }
      s.getData().put(RevocationList.KEY, base64(after));
      try {
        client.secrets().inNamespace(namespace).resource(s).update(); // conflicts on a concurrent change
        return true;
      } catch (KubernetesClientException e) {
        if (e.getCode() != HttpURLConnection.HTTP_CONFLICT || attempt >= 5) {
          throw e;
        }
      }
    }
  }

  /** The deny list's text in the Secret as it is now ("" without one). */
  public String revokedText() {
    Secret s = client.secrets().inNamespace(namespace).withName(name).get();
    return s == null ? "" : revokedText(s);
  }

  private static String revokedText(Secret s) {
    String v = s.getData() == null ? null : s.getData().get(RevocationList.KEY);
    return v == null ? "" : new String(Base64.getDecoder().decode(v), StandardCharsets.UTF_8);
  }

  private CertificateAuthority read(Secret s) {
    Map<String, String> data = s.getData();
    if (data == null || !data.containsKey(IssuedCertificate.CERT_FILE) || !data.containsKey(IssuedCertificate.KEY_FILE)) {
      throw new IllegalStateException(
          "Secret(" + namespace + "/" + name + ") lacks data." + IssuedCertificate.CERT_FILE + " or data." + IssuedCertificate.KEY_FILE);
    }
    return new CertificateAuthority(
        Pem.parseCertificate(unbase64(data.get(IssuedCertificate.CERT_FILE))),
        Pem.parsePrivateKey(unbase64(data.get(IssuedCertificate.KEY_FILE)), CertificateAuthority.KEY_ALGORITHM),
        clock);
  }

  private static String base64(String s) {
    return Base64.getEncoder().encodeToString(s.getBytes(StandardCharsets.UTF_8));
  }

  private static String unbase64(String s) {
    return new String(Base64.getDecoder().decode(s), StandardCharsets.US_ASCII);
  }
}
