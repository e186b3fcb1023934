// The k8s-operator launcher held to the launcher contract (test/harness/launcher-contract.ts)
// against a real API server, with kwok playing the Spark Operator and the kubelets.
import { createOperatorLauncher } from '../../broker/launchers/k8s/launchers.ts';
import { k8sLauncherContract } from '../harness/k8s-launcher-contract.ts';

k8sLauncherContract('k8s-operator', (fixture) => createOperatorLauncher(fixture.settings, fixture.lake));
