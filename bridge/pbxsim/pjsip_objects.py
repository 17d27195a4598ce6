"""The objects ``PJSIPShowEndpoint`` reports of one endpoint, as the chan_pjsip lab's Asterisk 22
answered for endpoint 4224 (``tests/fixtures/ami-captures/pjsip/pjsip_inventory``): every field,
in Asterisk's order, with the lab's values. :mod:`bridge.pbxsim.pjsip` puts each endpoint's own
name, AOR, context, caller ID, contact and state in; the rest is the same for every endpoint of a
FreePBX-style PBX (one UDP transport, static contacts, no auth).
"""

from __future__ import annotations

from bridge.ami.protocol import Header


def _fields(text: str) -> tuple[Header, ...]:
    """``Key: value`` lines (an empty value may lose its space) as headers."""
    headers = []
    for line in text.splitlines():
        key, _, value = line.partition(":")
        headers.append((key, value.removeprefix(" ")))
    return tuple(headers)


ENDPOINT = _fields("""\
ObjectType: endpoint
ObjectName: 4224
RpidImmediate: false
Webrtc: no
Ignore183WithoutSdp: false
SendAoc: false
DeviceStateBusyAt: 0
T38UdptlMaxdatagram: 0
CodecPrefsIncomingAnswer: prefer:pending, operation:intersect, keep:all, transcode:allow
SecurityNegotiation: no
DtlsRekey: 0
RtpPortEnd: 0
NamedPickupGroup:
DirectMediaMethod: invite
SendRpid: false
PickupGroup:
SdpSession: Asterisk
DtlsVerify: No
MessageContext:
Tenantid:
Mailboxes:
RecordOnFeature: automixmon
DtlsPrivateKey:
DtlsFingerprint: SHA-256
OverlapContext:
OutgoingCallOfferPref: remote_merge
RtpPortStart: 0
FromDomain:
TimersSessExpires: 1800
NamedCallGroup:
DtlsCipher:
MediaEncryptionOptimistic: false
SuppressQ850ReasonHeaders: false
Aors: 4224
IdentifyBy: username,ip
CalleridPrivacy: allowed_not_screened
MwiSubscribeReplacesUnsolicited: no
CosAudio: 0
FollowEarlyMediaFork: true
Context: from-internal
RtpSymmetric: true
Transport: transport-udp
MohSuggest: default
T38Udptl: false
FaxDetect: false
T38BindUdptlToMediaAddress: false
TosVideo: 0
SrtpTag32: false
ReferBlindProgress: true
MaxAudioStreams: 1
Bundle: false
UseAvpf: false
CallGroup:
SendConnectedLine: no
FaxDetectTimeout: 0
SdpOwner: -
ForceRport: true
CalleridTag:
RtpTimeoutHold: 0
SuppressMohOnSendonly: false
UsePtime: false
MediaAddress: 127.0.0.1
VoicemailExtension:
RtpTimeout: 0
StirShaken: no
SetVar:
ContactAcl:
PreferredCodecOnly: false
GeolocOutgoingCallProfile:
ForceAvp: false
RecordOffFeature: automixmon
FromUser:
SendDiversion: true
SendHistoryInfo: false
T38UdptlIpv6: false
ToneZone:
Language: en
AllowSubscribe: true
RtpIpv6: false
Callerid: "Phone 4224" <4224>
MohPassthrough: false
CosVideo: 0
DtlsAutoGenerateCert: No
AsymmetricRtpCodec: false
GeolocIncomingCallProfile:
IceSupport: false
AggregateMwi: true
OneTouchRecording: false
MwiFromUser:
RedirectMethod: user
Accountcode:
CodecPrefsOutgoingAnswer: prefer:pending, operation:intersect, keep:all, transcode:allow
Allow: (ulaw)
RewriteContact: false
UserEqPhone: false
RtpEngine: asterisk
FollowRedirectMethods:
SubscribeContext:
NotifyEarlyInuseRinging: false
IncomingMwiMailbox:
IncomingCallOfferPref: local
AllowUnauthenticatedOptions: false
Auth:
DirectMediaGlareMitigation: none
TrustIdInbound: true
StirShakenProfile:
BindRtpToMediaAddress: true
DisableDirectMediaOnNat: false
MediaEncryption: no
MediaUseReceivedTransport: false
AllowOverlap: true
DtmfMode: rfc4733
OutboundAuth:
TosAudio: 0
DtlsCertFile:
DtlsCaPath:
DtlsSetup: active
ConnectedLineMethod: invite
G726NonStandard: false
100rel: yes
Timers: no
DirectMedia: false
Acl:
TimersMinSe: 90
TrustIdOutbound: true
SubMinExpiry: 0
RtcpMux: false
MaxVideoStreams: 1
AcceptMultipleSdpAnswers: false
CodecPrefsIncomingOffer: prefer:pending, operation:intersect, keep:all, transcode:allow
CodecPrefsOutgoingOffer: prefer:pending, operation:union, keep:all, transcode:allow
TrustConnectedLine: yes
SendPai: false
RtpKeepalive: 0
T38UdptlEc: none
T38UdptlNat: false
AllowTransfer: true
DtlsCaFile:
OutboundProxy:
InbandProgress: false
DeviceState: Not in use
ActiveChannels: 0
""")

TRANSPORT = _fields("""\
ObjectType: transport
ObjectName: transport-udp
WebsocketWriteTimeout: 100
Cos: 0
TcpKeepaliveEnable: false
Protocol: udp
SymmetricTransport: false
Domain:
VerifyServer: No
LocalNet:
Bind: 127.0.0.1:5160
AllowWildcardCerts: No
TcpKeepaliveIntervalTime: 1
AsyncOperations: 1
ExternalMediaAddress:
Method: unspecified
ExternalSignalingAddress:
RequireClientCert: No
TcpKeepaliveIdleTime: 30
Tos: 0
CaListPath:
Cipher:
CertFile:
ExternalSignalingPort: 0
Password:
AllowReload: false
VerifyClient: No
TcpKeepaliveProbeCount: 5
PrivKeyFile:
CaListFile:
EndpointName: 4224
""")

AOR = _fields("""\
ObjectType: aor
ObjectName: 4224
MinimumExpiration: 60
DefaultExpiration: 3600
QualifyTimeout: 3.000000
Qualify2xxOnly: false
Mailboxes:
SupportPath: false
RemoveUnavailable: false
VoicemailExtension:
MaxContacts: 1
AuthenticateQualify: false
Contacts: 4224/sip:4224@127.0.0.1:5071
MaximumExpiration: 7200
QualifyFrequency: 0
RemoveExisting: true
OutboundProxy:
TotalContacts: 1
ContactsRegistered: 0
EndpointName: 4224
""")

CONTACT_STATUS = _fields("""\
AOR: 4224
URI: sip:4224@127.0.0.1:5071
UserAgent:
RegExpire: 0
Status: NonQualified
RoundtripUsec: N/A
EndpointName: 4224
ID: 4224@@9123704fbc4251af01e128f36046d653
AuthenticateQualify: 0
OutboundProxy:
Path:
QualifyFrequency: 0
QualifyTimeout: 3.000
Qualify2xxOnly: 0
""")
