// The k8s-native launcher held to the launcher contract (test/harness/launcher-contract.ts)
// against a real API server, with kwok playing the kubelets (the driver pod is Sluice's own).
import { createNativeLauncher } from '../../broker/launchers/k8s/launchers.ts';
import { k8sLauncherContract } from '../harness/k8s-launcher-contract.ts';

k8sLauncherContract('k8s-native', (fixture) => createNativeLauncher(fixture.settings, fixture.lake));
