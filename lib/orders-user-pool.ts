import { Duration, type RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import {
  AccountRecovery,
  FeaturePlan,
  Mfa,
  ResourceServerScope,
  UserPool,
  type UserPoolClient,
  UserPoolGroup,
  type UserPoolResourceServer,
} from 'aws-cdk-lib/aws-cognito';
import { Construct } from 'constructs';

/** The Cognito group whose members are staff (CONTRACT.md, Callers). */
export const STAFF_GROUP = 'staff';
/** The resource server and scope that make a machine client staff: `orders/staff`. */
export const ORDERS_RESOURCE_SERVER = { identifier: 'orders', staffScope: 'staff' } as const;

export interface OrdersUserPoolProps {
  /**
   * What happens to the user pool (and so every user account) when it leaves the stack.
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
}

/**
 * The users of the Orders API: a Cognito user pool where an administrator creates the accounts
 * (no self sign-up; people sign in with their email), a `staff` group, an `orders` resource
 * server with the `orders/staff` scope for machine clients, and one app client for people
 * signing in from a CLI or an app (no secret; SRP and password sign-in; no OAuth flows).
 */
export class OrdersUserPool extends Construct {
  public readonly userPool: UserPool;
  /** The app client whose id is the audience the API's authorizer accepts. */
  public readonly client: UserPoolClient;
  public readonly staffGroup: UserPoolGroup;
  public readonly resourceServer: UserPoolResourceServer;
  /** The `iss` of the pool's tokens: `https://cognito-idp.<region>.amazonaws.com/<pool id>`. */
  public readonly issuer: string;

  public constructor(scope: Construct, id: string, props: OrdersUserPoolProps = {}) {
    super(scope, id);
    this.userPool = new UserPool(this, 'Pool', {
      selfSignUpEnabled: false,
      signInAliases: { email: true },
      autoVerify: { email: true },
      standardAttributes: { email: { required: true, mutable: true } },
      signInCaseSensitive: false,
      accountRecovery: AccountRecovery.EMAIL_ONLY,
      featurePlan: FeaturePlan.ESSENTIALS,
      passwordPolicy: {
        minLength: 12,
        requireLowercase: true,
        requireUppercase: true,
        requireDigits: true,
        requireSymbols: true,
        passwordHistorySize: 5,
        tempPasswordValidity: Duration.days(3),
      },
      // TOTP only: no SMS role, no SMS cost. Optional, see the acknowledgement below.
      mfa: Mfa.OPTIONAL,
      mfaSecondFactor: { otp: true, sms: false },
      ...(props.removalPolicy === undefined ? {} : { removalPolicy: props.removalPolicy }),
    });
    const validations = Validations.of(this.userPool);
    validations.acknowledge({
      id: 'AwsSolutions::AwsSolutions-COG2',
      reason:
        'MFA (TOTP) is optional so an administrator-created user can get a token with the documented CLI sign-in ' +
        '(USER_PASSWORD_AUTH); require it for staff through the escape hatch (CfnUserPool.mfaConfiguration = "ON") where the sign-in flow handles the challenge.',
    });
    validations.acknowledge({
      id: 'AwsSolutions::AwsSolutions-COG8',
      reason:
        'Threat protection needs the paid Plus feature plan; the pool uses Essentials with a strong password policy and password history. ' +
        'Deployers who want compromised-credential and adaptive protection set featurePlan PLUS and standardThreatProtectionMode.',
    });

    this.staffGroup = new UserPoolGroup(this, 'StaffGroup', {
      userPool: this.userPool,
      groupName: STAFF_GROUP,
      description: 'Staff of the Orders service: may read and change every order (CONTRACT.md, Callers).',
    });

    // A client that may ask for `orders/staff` makes every one of its users staff, so the scope is
    // for machine clients a deployer adds (client credentials); the people's client has no OAuth.
    this.resourceServer = this.userPool.addResourceServer('OrdersResourceServer', {
      identifier: ORDERS_RESOURCE_SERVER.identifier,
      userPoolResourceServerName: 'Orders API',
      scopes: [
        new ResourceServerScope({ scopeName: ORDERS_RESOURCE_SERVER.staffScope, scopeDescription: 'Act as staff on every order' }),
      ],
    });

    this.client = this.userPool.addClient('CliClient', {
      generateSecret: false,
      authFlows: { userSrp: true, userPassword: true },
      disableOAuth: true,
      preventUserExistenceErrors: true,
      enableTokenRevocation: true,
      accessTokenValidity: Duration.hours(1),
      idTokenValidity: Duration.hours(1),
      refreshTokenValidity: Duration.days(30),
    });

    this.issuer = `https://cognito-idp.${Stack.of(this).region}.amazonaws.com/${this.userPool.userPoolId}`;
  }
}
