"""A Python test suite run against a monokube API: it only needs $KUBECONFIG.

    KUBECONFIG=path/to/kubeconfig python3 -m unittest -v test_configmaps
"""
import os
import unittest
import uuid

from kubernetes import client, config


class ConfigMapTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        config.load_kube_config(os.environ["KUBECONFIG"])
        cls.core = client.CoreV1Api()

    def setUp(self):
        # A namespace per test, so tests can share one server.
        self.namespace = "t-" + uuid.uuid4().hex[:8]
        self.core.create_namespace(client.V1Namespace(metadata=client.V1ObjectMeta(name=self.namespace)))

    def test_a_config_map_round_trips(self):
        self.core.create_namespaced_config_map(
            self.namespace, client.V1ConfigMap(metadata=client.V1ObjectMeta(name="settings"), data={"mode": "fast"}))
        read = self.core.read_namespaced_config_map("settings", self.namespace)
        self.assertEqual(read.data, {"mode": "fast"})

    def test_a_missing_object_is_a_404(self):
        with self.assertRaises(client.ApiException) as raised:
            self.core.read_namespaced_config_map("missing", self.namespace)
        self.assertEqual(raised.exception.status, 404)


if __name__ == "__main__":
    unittest.main()
