package io.hexgate.lab.olm;

/**
 * A bundle OLM installed in the lab.
 *
 * @param namespace where the Subscription, the OperatorGroup and the CSV are
 * @param packageName the package, also the Subscription's name
 * @param csvName the ClusterServiceVersion that reached {@code Succeeded}
 * @param catalogSource the CatalogSource (in {@value Olm#NAMESPACE}) serving the bundle
 */
public record InstalledBundle(String namespace, String packageName, String csvName, String catalogSource) {}
