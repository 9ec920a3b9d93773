"""Google's google-api-python-client, built offline from the discovery
document the mock bundles, calls every method of it against a running mock,
the signup flow included (signup URL, the admin completes it on the control
surface, enterprises.create, a policy, a token, a device enrolled on the
control surface, a command).

Usage: all_methods.py DISCOVERY_JSON BASE_URL ENTERPRISE DEVICE_ID
Prints one JSON line {"called": [...method ids...]} on success.
"""

import json
import sys
import urllib.parse

import httplib2
from googleapiclient.discovery import build_from_document
from googleapiclient.errors import HttpError

discovery_path, base_url, enterprise_id, device_id = sys.argv[1:5]
with open(discovery_path, encoding="utf-8") as f:
    discovery = f.read()

http = httplib2.Http()
service = build_from_document(discovery, http=http, client_options={"api_endpoint": base_url})
called = []


def run(method_id, request):
    called.append(method_id)
    return request.execute()


def control(method, path, body=None):
    data = json.dumps(body) if body is not None else None
    resp, content = http.request(base_url + "_lockstep/v1/" + path, method, body=data,
                                 headers={"content-type": "application/json"})
    assert resp.status == 200, (path, resp.status, content)
    return json.loads(content)


def expect_status(status, request):
    try:
        request.execute()
    except HttpError as e:
        assert e.resp.status == status, (e.resp.status, e.content)
        return
    raise AssertionError("expected HTTP %d" % status)


ent = service.enterprises()
parent = "enterprises/" + enterprise_id

# The signup flow, as Google's quickstart does it.
signup = run("androidmanagement.signupUrls.create",
             service.signupUrls().create(projectId="lockstep-py", callbackUrl="https://mdm.example/cb"))
completed = control("POST", signup["name"] + ":complete")
token = completed["enterpriseToken"]
created = run("androidmanagement.enterprises.create",
              ent.create(projectId="lockstep-py", signupUrlName=signup["name"], enterpriseToken=token,
                         body={"enterpriseDisplayName": "Python signup"}))
new_parent = created["name"]
run("androidmanagement.enterprises.generateEnterpriseUpgradeUrl",
    ent.generateEnterpriseUpgradeUrl(name=new_parent, body={}))
run("androidmanagement.enterprises.get", ent.get(name=new_parent))
run("androidmanagement.enterprises.patch",
    ent.patch(name=new_parent, updateMask="enterpriseDisplayName", body={"enterpriseDisplayName": "Renamed"}))
listed = run("androidmanagement.enterprises.list", ent.list(projectId="lockstep-py"))
assert any(e["name"] == new_parent for e in listed["enterprises"]), listed

# The new enterprise gets a policy, a token and a device: end to end.
policies = ent.policies()
# Samples send booleans as strings and single values where lists go.
run("androidmanagement.enterprises.policies.patch",
    policies.patch(name=new_parent + "/policies/default",
                   body={"passwordPolicies": [{"passwordQuality": "NUMERIC", "passwordMinimumLength": 6}]}))
enrollment = run("androidmanagement.enterprises.enrollmentTokens.create",
                 ent.enrollmentTokens().create(parent=new_parent, body={"policyName": "default"}))
registered = control("POST", "devices:register",
                     {"enrollmentToken": enrollment["value"], "profile": "test-pixel-8", "ownership": "fully-managed",
                      "passcode": "147036"})
new_device = registered["name"]
op = run("androidmanagement.enterprises.devices.issueCommand",
         ent.devices().issueCommand(name=new_device, body={"type": "LOCK"}))
assert control("GET", new_device)["deviceLocked"], "the signed-up enterprise's device locked"

# Every other method, on the prepared enterprise.
device = parent + "/devices/" + device_id
devices = ent.devices()
run("androidmanagement.enterprises.devices.get", devices.get(name=device))
run("androidmanagement.enterprises.devices.list", devices.list(parent=parent, pageSize=5))
run("androidmanagement.enterprises.devices.patch",
    devices.patch(name=device, updateMask="state", body={"state": "ACTIVE"}))
op = run("androidmanagement.enterprises.devices.issueCommand",
         devices.issueCommand(name=device, body={"type": "LOCK", "duration": "600s"}))
ops = devices.operations()
run("androidmanagement.enterprises.devices.operations.get", ops.get(name=op["name"]))
run("androidmanagement.enterprises.devices.operations.list", ops.list(name=device + "/operations"))
run("androidmanagement.enterprises.devices.operations.cancel", ops.cancel(name=op["name"]))

run("androidmanagement.enterprises.policies.get", policies.get(name=parent + "/policies/default"))
run("androidmanagement.enterprises.policies.list", policies.list(parent=parent))
run("androidmanagement.enterprises.policies.patch",
    policies.patch(name=parent + "/policies/spare", body={"cameraDisabled": True}))
run("androidmanagement.enterprises.policies.modifyPolicyApplications",
    policies.modifyPolicyApplications(name=parent + "/policies/spare", body={"changes": [
        {"application": {"packageName": "com.android.chrome", "installType": "FORCE_INSTALLED"}}]}))
run("androidmanagement.enterprises.policies.removePolicyApplications",
    policies.removePolicyApplications(name=parent + "/policies/spare",
                                      body={"packageNames": ["com.android.chrome"]}))
run("androidmanagement.enterprises.policies.delete", policies.delete(name=parent + "/policies/spare"))

tokens = ent.enrollmentTokens()
t = run("androidmanagement.enterprises.enrollmentTokens.create",
        tokens.create(parent=parent, body={"policyName": "default", "duration": "3600s"}))
run("androidmanagement.enterprises.enrollmentTokens.get", tokens.get(name=t["name"]))
run("androidmanagement.enterprises.enrollmentTokens.list", tokens.list(parent=parent))
run("androidmanagement.enterprises.enrollmentTokens.delete", tokens.delete(name=t["name"]))

app = run("androidmanagement.enterprises.applications.get",
          ent.applications().get(name=parent + "/applications/com.google.android.gm", languageCode="en"))
assert app["title"] == "Gmail", app
expect_status(404, ent.applications().get(name=parent + "/applications/com.example.none"))

web_apps = ent.webApps()
w = run("androidmanagement.enterprises.webApps.create",
        web_apps.create(parent=parent, body={"title": "Wiki", "startUrl": "https://wiki.example/",
                                             "icons": [{"imageData": "iVBORw0KGgo"}]}))
run("androidmanagement.enterprises.webApps.get", web_apps.get(name=w["name"]))
run("androidmanagement.enterprises.webApps.list", web_apps.list(parent=parent))
run("androidmanagement.enterprises.webApps.patch", web_apps.patch(name=w["name"], body={
    "title": "Wiki 2", "startUrl": "https://wiki.example/"}))
run("androidmanagement.enterprises.webApps.delete", web_apps.delete(name=w["name"]))

run("androidmanagement.enterprises.webTokens.create",
    ent.webTokens().create(parent=parent, body={"parentFrameUrl": "https://mdm.example/"}))

migration = ent.migrationTokens()
m = run("androidmanagement.enterprises.migrationTokens.create", migration.create(parent=parent, body={
    "deviceId": "emm-1", "userId": "user-1", "policy": parent + "/policies/default",
    "managementMode": "WORK_PROFILE_PERSONALLY_OWNED", "ttl": "86400s"}))
run("androidmanagement.enterprises.migrationTokens.get", migration.get(name=m["name"]))
run("androidmanagement.enterprises.migrationTokens.list", migration.list(parent=parent))

run("androidmanagement.provisioningInfo.get", service.provisioningInfo().get(name="provisioningInfo/" + device_id))

run("androidmanagement.enterprises.devices.delete", devices.delete(name=new_device))
run("androidmanagement.enterprises.delete", ent.delete(name=new_parent))

print(json.dumps({"called": sorted(set(called))}))
