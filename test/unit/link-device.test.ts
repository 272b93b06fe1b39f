import { describe, expect, it } from 'vitest';
import { classifyUserAgent } from '../../src/channels/link/device';

describe('device classification from the User-Agent', () => {
  it.each([
    'DoCoMo/2.0 P07A3(c500;TB;W24H15)',
    'DoCoMo/1.0/N505i/c20/TB/W24H12',
    'KDDI-KC3Z UP.Browser/6.2_7.2.7.1.K.8.400 (GUI) MMP/2.0',
    'UP.Browser/3.04-SN12 UP.Link/3.4.4',
    'SoftBank/1.0/940SH/SHJ001/SN123456789012345 Browser/NetFront/3.5 Profile/MIDP-2.0 Configuration/CLDC-1.1',
    'Vodafone/1.0/V905SH/SHJ001/SN123456789012345 Browser/VF-NetFront/3.5 Profile/MIDP-2.0 Configuration/CLDC-1.1',
    'J-PHONE/4.3/V602SH/SNJSHA3029293 SH/0001aa Profile/MIDP-1.0 Configuration/CLDC-1.0 Ext-Profile/JSCL-1.3.2',
    'MOT-V980/80.2F.2E. MIB/2.2.1 Profile/MIDP-2.0 Configuration/CLDC-1.1',
    'Mozilla/3.0(WILLCOM;KYOCERA/WX310K/2;1.2.2.16.000000/0.1/C100) Opera 7.0',
    'Mozilla/3.0(DDIPOCKET;JRC/AH-J3001V,AH-J3002V/1.0/0100/c50)CNF/2.0',
    'emobile/1.0.0 (H11T; like Gecko; Wireless) NetFront/3.4',
  ])('refuses the feature phone %s', (ua) => {
    expect(classifyUserAgent(ua)).toEqual({ device: 'FEATURE_PHONE', osType: null });
  });

  it.each([
    [
      'Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1',
      'IOS',
    ],
    [
      'Mozilla/5.0 (iPhone; CPU iPhone OS 16_6 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) CriOS/120.0.6099.119 Mobile/15E148 Safari/604.1',
      'IOS',
    ],
    [
      'Mozilla/5.0 (iPad; CPU OS 12_2 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/12.1 Mobile/15E148 Safari/604.1',
      'IOS',
    ],
    [
      'Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.6778.104 Mobile Safari/537.36',
      'ANDROID',
    ],
    [
      'Mozilla/5.0 (Linux; Android 13; SM-X710) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36',
      'ANDROID',
    ],
    [
      'Mozilla/5.0 (Linux; Android 5.1; KYF31 Build/101.0.2c10) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/39.0.0.0 Mobile Safari/537.36',
      'ANDROID',
    ],
  ])('sees a smartphone in %s', (ua, osType) => {
    expect(classifyUserAgent(ua)).toEqual({ device: 'SMARTPHONE', osType });
  });

  it.each([
    'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36',
    'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Safari/605.1.15',
    'Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0',
    'Mozilla/5.0 (Mobile; Windows Phone 8.1; Android 4.0; ARM; Trident/7.0; Touch; rv:11.0; IEMobile/11.0; NOKIA; Lumia 635) like iPhone OS 7_0_3 Mac OS X AppleWebKit/537 (KHTML, like Gecko) Mobile Safari/537',
    '',
  ])('serves %j as a PC', (ua) => {
    expect(classifyUserAgent(ua)).toEqual({ device: 'PC', osType: null });
  });
});
