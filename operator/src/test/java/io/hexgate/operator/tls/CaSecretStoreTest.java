package io.hexgate.operator.tls;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import java.time.Clock;
import org.junit.jupiter.api.Test;

/** The CA lives in a Secret: created once, then reused by every operator start and replica. */
@EnableKubernetesMockClient(crud = true)
class CaSecretStoreTest {
  KubernetesClient client;

  @Test
  void shouldCreateTheCaSecretWhenAbsentAndReuseItAfterwards() {
    CertificateAuthority first = new CaSecretStore(client, "hexgate", "hexgate-ca", Clock.systemUTC()).loadOrCreate();
    Secret secret = client.secrets().inNamespace("hexgate").withName("hexgate-ca").get();
    assertThat(secret.getType()).isEqualTo("kubernetes.io/tls");
    assertThat(secret.getData()).containsKeys("tls.crt", "tls.key");

    CertificateAuthority again = new CaSecretStore(client, "hexgate", "hexgate-ca", Clock.systemUTC()).loadOrCreate();
    assertThat(again.certificate()).isEqualTo(first.certificate());
    assertThat(again.key().getEncoded()).isEqualTo(first.key().getEncoded());
  }

  @Test
  void shouldNotCreateACaWhenOnlyLoading() {
    assertThat(new CaSecretStore(client, "hexgate", "hexgate-ca", Clock.systemUTC()).load()).isEmpty();
    assertThat(client.secrets().inNamespace("hexgate").withName("hexgate-ca").get()).isNull();
  }

  @Test
  void shouldIssueAgentCertificatesThatTheStoredCaVerifies() throws Exception {
    CertificateAuthority ca = new CaSecretStore(client, "hexgate", "hexgate-ca", Clock.systemUTC()).loadOrCreate();
    CertificateAuthority reloaded = new CaSecretStore(client, "hexgate", "hexgate-ca", Clock.systemUTC()).loadOrCreate();
    IssuedCertificate agent = reloaded.issueAgent("node-a");
    agent.certificate().verify(ca.certificate().getPublicKey());
    assertThat(CertificateAuthority.nodeOf(agent.certificate())).isEqualTo("node-a");
    assertThat(CertificateAuthority.nodeOf(ca.certificate())).isNull();
  }
}
