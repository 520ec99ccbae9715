/**
 * The embedded lab: a local Kubernetes API that stock {@code kubectl} can drive, node and pod network
 * namespaces with a lab CNI, the controllers a cluster would run, the operator and one agent per node.
 */
package io.hexgate.lab;
