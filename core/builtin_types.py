"""The module types procmod ships: their descriptions only (no network code, no httpx).

Registered like any third-party type, through the `procmod.module_types` entry point group (pyproject.toml);
each names its driver class by import path, loaded when a module of the type first talks to its panel.
"""

from __future__ import annotations

from procmod.core.moduletypes import (
    CHECK_CONNECTION,
    READ_BALANCE,
    SYNC_SERVICES,
    FieldKind,
    ModuleType,
    SettingField,
    SettingGroup,
)

C, M, L = SettingGroup.CONNECTION, SettingGroup.MODULE, SettingGroup.LICENSE

VMMANAGER6 = ModuleType(
    key="vmmanager6",
    title="VMmanager 6",
    natural_key="VM name",
    driver="procmod.core.drivers.vmmanager6:VmmanagerDriver",
    product_types=("vds",),
    supports_datacenter=True,
    reports_balance=False,
    fields=(
        SettingField("url", "Address", C, FieldKind.URL, required=True, help="https://vm.example.com"),
        SettingField("email", "Login (e-mail)", C, required=True, max_length=254),
        SettingField("password", "Password", C, FieldKind.PASSWORD, required=True),
        SettingField("verify_tls", "Verify TLS certificate", C, FieldKind.FLAG, default=True),
        SettingField("ca_bundle", "CA bundle (PEM file)", C, max_length=500,
                     help="A private CA's certificates; blank: the system's trust store"),
        SettingField("cluster", "Cluster", M, FieldKind.SELECT, required=True, choices_from="cluster_choices",
                     help="Cluster the VMs are created in (read from the API by Update configuration)"),
        SettingField("use_recipes", "Use recipes", M, FieldKind.SWITCH, default=False),
        SettingField("extra_network_interface", "Additional network interface", M, FieldKind.SWITCH,
                     default=False),
        SettingField("license_server", "License server module", L, FieldKind.SELECT,
                     choices=(("", "None"), ("ispsystem", "ISPsystem licence server")), default=""),
        SettingField("license_key", "License key", L, FieldKind.PASSWORD),
    ),
    catalog_keys=("cluster_choices", "os_templates"),
)

CPANEL = ModuleType(
    key="cpanel",
    title="cPanel/WHM",
    natural_key="user name",
    driver="procmod.core.drivers.cpanel:CpanelDriver",
    product_types=("vhost",),
    supports_datacenter=False,
    reports_balance=False,
    fields=(
        SettingField("host", "Host", C, required=True, help="WHM host name or IP address"),
        SettingField("port", "Port", C, FieldKind.NUMBER, default=2087, minimum=1, maximum=65535),
        SettingField("whm_user", "WHM user", C, required=True, default="root", max_length=64),
        SettingField("api_token", "API token", C, FieldKind.PASSWORD, required=True),
        SettingField("verify_tls", "Verify TLS certificate", C, FieldKind.FLAG, default=True),
        SettingField("ca_bundle", "CA bundle (PEM file)", C, max_length=500,
                     help="A private CA's certificates; blank: the system's trust store"),
        SettingField("default_package", "Default package", M, FieldKind.SELECT, choices_from="package_choices",
                     help="WHM package used when a tariff names none"),
        SettingField("nameserver1", "Name server 1", M, max_length=253),
        SettingField("nameserver2", "Name server 2", M, max_length=253),
    ),
    catalog_keys=("package_choices",),
)

NAMECHEAP = ModuleType(
    key="namecheap",
    title="Namecheap",
    natural_key="domain",
    driver="procmod.core.drivers.namecheap:NamecheapDriver",
    product_types=("domain",),
    supports_datacenter=False,
    reports_balance=True,
    fields=(
        SettingField("api_user", "API user", C, required=True, max_length=64),
        SettingField("api_key", "API key", C, FieldKind.PASSWORD, required=True),
        SettingField("user_name", "User name", C, required=True, max_length=64),
        SettingField("client_ip", "Client IP", C, required=True, help="The whitelisted IPv4 address"),
        SettingField("sandbox", "Sandbox", C, FieldKind.FLAG, default=False),
        SettingField("api_url", "API address", C, FieldKind.URL,
                     help="Blank: api.namecheap.com (or the sandbox when Sandbox is on)"),
        SettingField("ca_bundle", "CA bundle (PEM file)", C, max_length=500,
                     help="A private CA's certificates; blank: the system's trust store"),
        SettingField("default_years", "Registration period, years", M, FieldKind.NUMBER, default=1,
                     minimum=1, maximum=10),
        SettingField("auto_renew", "Auto-renew", M, FieldKind.SWITCH, default=True),
    ),
    default_tasks=(CHECK_CONNECTION, SYNC_SERVICES, READ_BALANCE),
    suspends_services=False,
    closes_services=False,
)

PROXMOX = ModuleType(
    key="proxmox",
    title="Proxmox VE",
    natural_key="VM name",
    driver="procmod.core.drivers.proxmox:ProxmoxDriver",
    product_types=("vds",),
    supports_datacenter=True,  # one module per cluster; a cluster stands in one data center
    reports_balance=False,
    fields=(
        SettingField("url", "Address", C, FieldKind.URL, required=True, help="https://pve.example.com:8006"),
        SettingField("token_id", "API token ID", C, required=True, max_length=200,
                     help="USER@REALM!TOKENID, e.g. billing@pve!procmod"),
        SettingField("token_secret", "API token secret", C, FieldKind.PASSWORD, required=True,
                     help="The UUID Proxmox VE showed once when the token was made"),
        SettingField("verify_tls", "Verify TLS certificate", C, FieldKind.FLAG, default=True),
        SettingField("ca_bundle", "CA bundle (PEM file)", C, max_length=500,
                     help="A private CA's certificates (Proxmox's own pve-root-ca.pem); blank: the system's"),
        SettingField("node", "Node", M, FieldKind.SELECT, required=True, choices_from="node_choices",
                     help="Node new VMs are placed on (read from the API by Update configuration)"),
        SettingField("template", "Template VM", M, FieldKind.SELECT, choices_from="template_choices",
                     help="VM template cloned for new VMs when a tariff names none"),
        SettingField("full_clone", "Full clone", M, FieldKind.SWITCH, default=True,
                     help="Off: linked clones (faster, but tied to the template's disks)"),
        SettingField("suspend_action", "Suspend by", M, FieldKind.SELECT,
                     choices=(("stop", "Stopping the VM"), ("suspend", "Pausing the VM (memory kept)")),
                     default="stop"),
    ),
    catalog_keys=("node_choices", "template_choices"),
)

DCIMANAGER6 = ModuleType(
    key="dcimanager6",
    title="DCImanager 6",
    natural_key="server name",
    driver="procmod.core.drivers.dcimanager6:DcimanagerDriver",
    product_types=("dedic",),
    supports_datacenter=True,  # DCImanager's locations
    reports_balance=False,
    fields=(
        SettingField("url", "Address", C, FieldKind.URL, required=True, help="https://dci.example.com"),
        SettingField("email", "Login (e-mail)", C, required=True, max_length=254),
        SettingField("password", "Password", C, FieldKind.PASSWORD, required=True),
        SettingField("verify_tls", "Verify TLS certificate", C, FieldKind.FLAG, default=True),
        SettingField("ca_bundle", "CA bundle (PEM file)", C, max_length=500,
                     help="A private CA's certificates; blank: the system's trust store"),
        SettingField("location", "Location", M, FieldKind.SELECT, required=True, choices_from="location_choices",
                     help="Location free servers are taken from (read from the API by Update configuration)"),
        SettingField("os_template", "OS template", M, FieldKind.SELECT, choices_from="os_choices",
                     help="Installed on an issued server when the order names none"),
        SettingField("owner_email", "Owner account (e-mail)", M, required=True, max_length=254,
                     help="DCImanager user the issued servers are assigned to"),
    ),
    catalog_keys=("location_choices", "os_choices", "configuration_choices"),
)
